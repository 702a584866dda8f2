/**
 * Draws the e-mail logo (assets/logo.png): an open book on a rounded navy square, 64×64 RGBA.
 * Run with `npx tsx scripts/generate-logo.ts`; the PNG is committed, so this only runs when the design changes.
 */
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 64;
const NAVY = [30, 58, 95, 255] as const;
const PAGE = [255, 255, 255, 255] as const;
const SPINE = [245, 166, 35, 255] as const;
const CLEAR = [0, 0, 0, 0] as const;

function insideRoundedSquare(x: number, y: number, r: number): boolean {
  const cx = Math.min(Math.max(x, r), SIZE - 1 - r);
  const cy = Math.min(Math.max(y, r), SIZE - 1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

function pixel(x: number, y: number): readonly number[] {
  if (!insideRoundedSquare(x, y, 12)) return CLEAR;
  const mid = SIZE / 2;
  // Pages: two quadrilaterals whose top edges rise towards the outside, like an open book.
  const dx = Math.abs(x + 0.5 - mid);
  const top = 18 - dx * 0.15;
  const bottom = 46 - dx * 0.15;
  if (dx <= 1.5 && y >= 17 && y <= 48) return SPINE;
  if (dx > 1.5 && dx <= 22 && y >= top && y <= bottom) {
    // Text lines on the pages.
    const line = (y - Math.ceil(top)) % 5 === 3 && dx > 5 && dx < 19;
    return line ? NAVY : PAGE;
  }
  return NAVY;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) {
  raw[y * (SIZE * 4 + 1)] = 0; // filter: none
  for (let x = 0; x < SIZE; x++) {
    const p = pixel(x, y);
    for (let i = 0; i < 4; i++) raw[y * (SIZE * 4 + 1) + 1 + x * 4 + i] = p[i]!;
  }
}

const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(new URL('../assets/logo.png', import.meta.url), png);
console.log(`assets/logo.png: ${png.length} bytes`);
