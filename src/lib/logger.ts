import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../config.js';

interface RequestSummary {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** A URL with the secrets of its query string (stream tickets, cancel links) masked. */
export function maskUrl(url: string | undefined): string | undefined {
  return url?.replace(/([?&](?:ticket|token)=)[^&]*/g, '$1[REDACTED]');
}

/**
 * JSON lines in production and test; in development (NODE_ENV=development, whatever stdout is) one readable
 * line per entry through pino-pretty, as a stream in this process (not a worker transport), so that what is
 * logged just before process.exit() is written. Colours only when stdout is a terminal.
 */
export function createLogger(
  config: Pick<Config, 'LOG_LEVEL'> & Partial<Pick<Config, 'NODE_ENV'>>,
  destination?: DestinationStream,
): Logger {
  const options = {
    level: config.LOG_LEVEL,
    redact: ['req.headers.authorization', '*.password', '*.refresh_token'],
    serializers: {
      // Fastify's request summary, with secrets in the query string masked.
      req: (req: RequestSummary) => ({
        method: req.method,
        url: maskUrl(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  };
  if (config.NODE_ENV === 'development') {
    const stream = pretty({
      destination: destination ?? 1,
      sync: true,
      colorize: destination === undefined && process.stdout.isTTY,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,method,url,statusCode,responseTime',
    });
    return pino(options, stream);
  }
  return destination ? pino(options, destination) : pino(options);
}
