import { EventEmitter } from 'node:events';
import type { Notifier } from './store-dialect.js';

/** In-process wake-ups: enough for one process on SQLite; other processes find work by polling. */
export function createLocalNotifier(): Notifier {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    async notify(channel) {
      emitter.emit(channel);
    },
    async listen(channel, onNotify) {
      emitter.on(channel, onNotify);
      return async () => {
        emitter.off(channel, onNotify);
      };
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}
