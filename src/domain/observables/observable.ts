import { z } from 'zod';

/** What an indicator is. Hashes are typed by algorithm so look-ups can go to the right feed. */
export const ObservableType = [
  'ipv4',
  'ipv6',
  'domain',
  'url',
  'email',
  'md5',
  'sha1',
  'sha256',
  'user',
  'hostname',
  'file_path',
  'process',
] as const;
export type ObservableType = (typeof ObservableType)[number];

/** The part an indicator plays in the alert; `related` when the source does not say. */
export const ObservableRole = ['source', 'destination', 'affected', 'related'] as const;
export type ObservableRole = (typeof ObservableRole)[number];

/** Where an IP address lives: RFC 1918 / ULA, special-purpose (loopback, documentation, multicast), or the internet. */
export const IpScope = ['private', 'public', 'reserved'] as const;
export type IpScope = (typeof IpScope)[number];

export const ObservableSchema = z.object({
  type: z.enum(ObservableType),
  value: z.string().min(1).max(2048),
  role: z.enum(ObservableRole),
  /** IPs only. */
  scope: z.enum(IpScope).optional(),
});
export type Observable = z.infer<typeof ObservableSchema>;
