import { z } from 'zod';
import { defineConnector } from '../../framework/define-connector.js';
import { defender, DefenderConfig, ODataList, type DefenderContext } from './defender-api.js';
import { advancedHunting, huntIndicator } from './defender-hunting.actions.js';
import { addIndicator, removeIndicator } from './defender-indicators.actions.js';
import { isolateMachine, runAvScan, unisolateMachine } from './defender-machines.actions.js';

export { DefenderConfig } from './defender-api.js';

/** Microsoft Defender for Endpoint: isolation, antivirus scans, indicators and advanced hunting. */
export const defenderConnector = defineConnector({
  name: 'defender',
  title: 'Microsoft Defender for Endpoint',
  description: 'Isolate and release devices, run antivirus scans, block indicators, hunt with KQL.',
  config: DefenderConfig,
  actions: [
    isolateMachine,
    unisolateMachine,
    runAvScan,
    addIndicator,
    removeIndicator,
    advancedHunting,
    huntIndicator,
  ],
  async test(ctx) {
    // A token plus one machine: proves tenant, app credentials and the Machine.Read.All permission.
    await defender(
      ctx as DefenderContext,
      { path: '/api/machines', query: { $top: 1 } },
      ODataList(z.unknown()),
    );
    return { ok: true, message: 'Defender for Endpoint issued a token and listed machines' };
  },
});
