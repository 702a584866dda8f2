import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesHistogram } from './series-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const LABELS = ['method', 'route', 'status_code'] as const;

describe('SeriesHistogram', () => {
  it("is exposed exactly as prom-client's Histogram with the same observations", async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Histogram({
      name: 'req_seconds',
      help: 'Request "duration"\\n',
      labelNames: LABELS,
      buckets: BUCKETS,
      registers: [theirs],
    });
    const histogram = new SeriesHistogram('req_seconds', 'Request "duration"\\n', LABELS, BUCKETS, [ours]);
    const observations: [string, string, number, number][] = [
      ['GET', '/books/:book_id', 200, 0.0004],
      ['GET', '/books/:book_id', 200, 0.001],
      ['GET', '/books/:book_id', 200, 0.05],
      ['GET', '/books/:book_id', 404, 3],
      ['POST', 'unmatched', 405, 0.2],
      ['GET', '/books/:book_id', 200, 0.0099],
    ];
    for (const [method, route, status, value] of observations) {
      reference.labels({ method, route, status_code: status }).observe(value);
      histogram.series(`${status} ${method} ${route}`, { method, route, status_code: status })(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // As JSON (prom-client's own objects also carry exemplar: null/undefined, which is no exemplar).
    const asJson = async (r: Registry) => JSON.parse(JSON.stringify(await r.getMetricsAsJSON())) as unknown;
    const strip = (v: unknown) =>
      JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'exemplar' ? undefined : x))) as unknown;
    expect(strip(await asJson(ours))).toEqual(strip(await asJson(theirs)));
    expect(await ours.metrics()).toContain(
      'req_seconds_bucket{le="0.01",method="GET",route="/books/:book_id",status_code="200"} 3',
    );
  });

  it('hands out one series per key, ignores non-finite values and resets to zero', async () => {
    const registry = new Registry();
    const histogram = new SeriesHistogram('x_seconds', 'x', ['k'] as const, [1], [registry]);
    const a = histogram.series('a', { k: 'a' });
    const again = histogram.series('a', { k: 'a' });
    a(0.5);
    again(2);
    a(Number.NaN);
    let text = await registry.metrics();
    expect(text).toContain('x_seconds_bucket{le="1",k="a"} 1');
    expect(text).toContain('x_seconds_bucket{le="+Inf",k="a"} 2');
    expect(text).toContain('x_seconds_sum{k="a"} 2.5');
    expect(text).toContain('x_seconds_count{k="a"} 2');
    registry.resetMetrics();
    a(0.25);
    text = await registry.metrics();
    expect(text).toContain('x_seconds_count{k="a"} 1');
    expect(text).toContain('x_seconds_sum{k="a"} 0.25');
  });
});
