/**
 * `--queue redis://[:password@]HOST[:PORT][/DB]`: parsed and checked without loading a Redis client
 * (the service's and the library's types name it without pulling ioredis into their declarations).
 */
import { ValidationError } from './errors.js';

/** A parsed `--queue redis://HOST:PORT[/DB]`. */
export interface QueueAddress {
  url: string;
  host: string;
  port: number;
  db: number;
  password: string | null;
  /** The address without its password (what is printed and recorded). */
  display: string;
}

/** Parses `redis://[:password@]HOST[:PORT][/DB]`. */
export function parseQueueUrl(url: string): QueueAddress {
  const bad = (why: string): ValidationError =>
    new ValidationError('BAD_QUEUE_URL', `--queue ${JSON.stringify(url)} ${why}`, { hint: 'give a Redis address, e.g. --queue redis://127.0.0.1:6379/0' });
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('is not a URL');
  }
  if (u.protocol !== 'redis:') throw bad(`uses ${u.protocol.replace(/:$/, '')}, not redis`);
  if (u.hostname === '') throw bad('names no host');
  const port = u.port === '' ? 6379 : Number(u.port);
  const path = u.pathname.replace(/^\//, '');
  if (!/^\d{0,2}$/.test(path)) throw bad(`has ${JSON.stringify(u.pathname)} where a database number (0-15) belongs`);
  const db = path === '' ? 0 : Number(path);
  if (u.search !== '' || u.hash !== '') throw bad('has a query or fragment');
  const password = u.password === '' ? null : decodeURIComponent(u.password);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { url, host, port, db, password, display: `redis://${u.host}/${db}` };
}

/** `--queue`, else `fallback` (the caller passes `$BFLY_QUEUE`), parsed. */
export function queueAddress(flag: string | undefined, fallback: string | undefined): QueueAddress {
  const url = flag ?? fallback;
  if (url === undefined || url === '') throw new ValidationError('NO_QUEUE', 'no queue given', { hint: 'pass --queue redis://HOST:PORT[/DB] or set BFLY_QUEUE' });
  return parseQueueUrl(url);
}

