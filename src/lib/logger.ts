import { pino, type Logger } from 'pino';
import type { Config } from '../config.js';

interface RequestSummary {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

export function createLogger(config: Pick<Config, 'LOG_LEVEL'>): Logger {
  return pino({
    level: config.LOG_LEVEL,
    redact: ['req.headers.authorization', '*.password', '*.refresh_token'],
    serializers: {
      // Fastify's request summary, with secrets in the query string (stream tickets, cancel links) masked.
      req: (req: RequestSummary) => ({
        method: req.method,
        url: req.url?.replace(/([?&](?:ticket|token)=)[^&]*/g, '$1[REDACTED]'),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  });
}
