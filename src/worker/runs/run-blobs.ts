import type { Kysely, Transaction } from 'kysely';
import type { BlobResolver, RunState } from '../../engine/run-state.js';
import { readBlobs } from '../../store/runs/run.repository.js';
import type { Database } from '../../store/schema.js';

/**
 * Stored step outputs by id, kept in memory with a size budget: a blob never changes once written, so a
 * worker reads one from the store once however many later steps read it.
 */
export class BlobCache {
  private readonly entries = new Map<string, { value: unknown; size: number }>();
  private total = 0;

  constructor(private readonly budgetBytes = 64 * 1024 * 1024) {}

  put(id: string, value: unknown, size: number): void {
    if (this.entries.has(id) || size > this.budgetBytes) return;
    this.entries.set(id, { value, size });
    this.total += size;
    // Oldest first: Map keeps insertion order.
    for (const [key, entry] of this.entries) {
      if (this.total <= this.budgetBytes) break;
      this.entries.delete(key);
      this.total -= entry.size;
    }
  }

  get(id: string): unknown {
    return this.entries.get(id)?.value;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** A resolver for `decide` over every blob the state refers to, reading the missing ones first. */
  async resolverFor(db: Kysely<Database> | Transaction<Database>, state: RunState): Promise<BlobResolver> {
    const wanted = state.blobs ?? [];
    const loaded = new Map<string, unknown>();
    const missing = wanted.filter((id) => {
      if (!this.has(id)) return true;
      loaded.set(id, this.get(id));
      return false;
    });
    for (const blob of await readBlobs(db, missing)) {
      loaded.set(blob.id, blob.value);
      this.put(blob.id, blob.value, blob.size);
    }
    return (id) => {
      if (!loaded.has(id)) throw new Error(`stored output ${id} is missing`);
      return loaded.get(id);
    };
  }
}
