import type { Kysely } from 'kysely';

/**
 * Where each alert was delivered from: the network address of the syslog sender or HTTP client that sent it
 * (null for alerts read from files, and for those stored before this). RFC 3164 senders often name no host,
 * or a name any sender can claim: the address the message came from is what identifies the device.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('alerts').addColumn('received_from', 'text').execute();
}
