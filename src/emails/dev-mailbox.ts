import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { OutgoingEmail } from './mailer.js';

/** What GET /dev/mailbox lists for one message. */
export interface MailboxEntry {
  id: string;
  to: string;
  subject: string;
  date: string;
  message_id: string;
  links: string[];
}

interface StoredMessage extends MailboxEntry {
  html: string;
  text: string;
  /** cid → data: URI, so the HTML view shows inline images. */
  inline: Record<string, string>;
}

const ID_RE = /^[0-9]{13}-[0-9a-f]{8}$/;

function linksOf(html: string): string[] {
  const links = new Set<string>();
  for (const m of html.matchAll(/href="([^"]+)"/g)) {
    const href = m[1]!.replaceAll('&amp;', '&');
    if (/^https?:/.test(href)) links.add(href);
  }
  return [...links];
}

/**
 * The development mailbox: each message is a file pair in DATA_DIR/mailbox (`<id>.eml`, the raw MIME message, and
 * `<id>.json`, its metadata), so the API and a separate `npm run worker` process sharing DATA_DIR see the same mail.
 * Ids start with the time in milliseconds, so sorting them sorts by date.
 */
export function createDevMailbox(dataDir: string) {
  const dir = path.join(dataDir, 'mailbox');

  async function write(file: string, content: string | Buffer) {
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, content);
    await rename(tmp, file);
  }

  return {
    dir,

    async store(message: OutgoingEmail, messageId: string, raw: Buffer): Promise<string> {
      await mkdir(dir, { recursive: true });
      const id = `${String(Date.now()).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
      const stored: StoredMessage = {
        id,
        to: message.to,
        subject: message.subject,
        date: new Date().toISOString(),
        message_id: messageId,
        links: linksOf(message.html),
        html: message.html,
        text: message.text,
        inline: Object.fromEntries(
          (message.inline ?? []).map((i) => [
            i.cid,
            `data:${i.contentType};base64,${i.content.toString('base64')}`,
          ]),
        ),
      };
      await write(path.join(dir, `${id}.eml`), raw);
      // The metadata is written last: a listed message always has its .eml.
      await write(path.join(dir, `${id}.json`), JSON.stringify(stored));
      return id;
    },

    /** Newest first. */
    async list(): Promise<MailboxEntry[]> {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return [];
      }
      const ids = names
        .filter((n) => n.endsWith('.json'))
        .map((n) => n.slice(0, -5))
        .filter((id) => ID_RE.test(id))
        .sort()
        .reverse();
      const entries: MailboxEntry[] = [];
      for (const id of ids) {
        const stored = await this.get(id);
        if (stored) {
          const { id: _id, to, subject, date, message_id, links } = stored;
          entries.push({ id, to, subject, date, message_id, links });
        }
      }
      return entries;
    },

    async get(id: string): Promise<StoredMessage | undefined> {
      if (!ID_RE.test(id)) return undefined;
      try {
        return JSON.parse(await readFile(path.join(dir, `${id}.json`), 'utf8')) as StoredMessage;
      } catch {
        return undefined;
      }
    },

    async raw(id: string): Promise<Buffer | undefined> {
      if (!ID_RE.test(id)) return undefined;
      try {
        return await readFile(path.join(dir, `${id}.eml`));
      } catch {
        return undefined;
      }
    },

    /** The message's HTML with its inline images embedded, for viewing in a browser. */
    async renderHtml(id: string): Promise<string | undefined> {
      const stored = await this.get(id);
      if (!stored) return undefined;
      return stored.html.replace(/cid:([^"')\s]+)/g, (match, cid: string) => stored.inline[cid] ?? match);
    },
  };
}

export type DevMailbox = ReturnType<typeof createDevMailbox>;
