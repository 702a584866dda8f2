import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { OutgoingEmail } from './message.js';

/** What GET /dev/mailbox lists for one message. */
export interface MailboxEntry {
  id: string;
  to: string;
  subject: string;
  date: string;
  message_id: string;
  links: string[];
}

interface MessageBody {
  html: string;
  text: string;
  /** cid → data: URI, so the HTML view shows inline images. */
  inline: Record<string, string>;
}

type StoredMessage = MailboxEntry & MessageBody;

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
 * The development mailbox: each message is a set of files in DATA_DIR/mailbox (`<id>.eml`, the raw MIME message;
 * `<id>.body.json`, the HTML and text for viewing; `<id>.json`, the small metadata the list reads), so the API and a
 * separate `npm run worker` process sharing DATA_DIR see the same mail. Ids start with the time in milliseconds, so
 * sorting them sorts by date; a page of the list reads only its own metadata files.
 */
export function createDevMailbox(dataDir: string) {
  const dir = path.join(dataDir, 'mailbox');

  async function write(file: string, content: string | Buffer) {
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, content);
    await rename(tmp, file);
  }

  async function readJson<T>(id: string, ext: string): Promise<T | undefined> {
    if (!ID_RE.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(path.join(dir, `${id}.${ext}`), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  async function readEntry(id: string): Promise<MailboxEntry | undefined> {
    const stored = await readJson<MailboxEntry>(id, 'json');
    if (!stored) return undefined;
    const { to, subject, date, message_id, links } = stored;
    return { id, to, subject, date, message_id, links };
  }

  return {
    dir,

    async store(message: OutgoingEmail, messageId: string, raw: Buffer): Promise<string> {
      await mkdir(dir, { recursive: true });
      const id = `${String(Date.now()).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
      const entry: MailboxEntry = {
        id,
        to: message.to,
        subject: message.subject,
        date: new Date().toISOString(),
        message_id: messageId,
        links: linksOf(message.html),
      };
      const body: MessageBody = {
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
      await write(path.join(dir, `${id}.body.json`), JSON.stringify(body));
      // The metadata is written last: a listed message always has its .eml and body.
      await write(path.join(dir, `${id}.json`), JSON.stringify(entry));
      return id;
    },

    /** One page of the messages, newest first, and how many there are. */
    async list(opts: { limit: number; offset: number }): Promise<{ items: MailboxEntry[]; total: number }> {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return { items: [], total: 0 };
      }
      const ids = names
        .filter((n) => n.endsWith('.json'))
        .map((n) => n.slice(0, -5))
        .filter((id) => ID_RE.test(id))
        .sort()
        .reverse();
      const page = await Promise.all(ids.slice(opts.offset, opts.offset + opts.limit).map(readEntry));
      return { items: page.filter((e) => e !== undefined), total: ids.length };
    },

    async get(id: string): Promise<StoredMessage | undefined> {
      const entry = await readJson<MailboxEntry & Partial<MessageBody>>(id, 'json');
      if (!entry) return undefined;
      // Messages stored before the body had a file of its own carry it in the metadata.
      if (entry.html !== undefined && entry.text !== undefined && entry.inline !== undefined) {
        return { ...entry, html: entry.html, text: entry.text, inline: entry.inline };
      }
      const body = await readJson<MessageBody>(id, 'body.json');
      return body && { ...entry, ...body };
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
