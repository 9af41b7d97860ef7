import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createConnectorRegistry } from '../../../src/connectors/framework/connector-registry.js';
import { elasticsearchConnector } from '../../../src/connectors/vendors/elasticsearch/elasticsearch.connector.js';
import { gitHubConnector } from '../../../src/connectors/vendors/github/github.connector.js';
import { jiraConnector } from '../../../src/connectors/vendors/jira/jira.connector.js';
import { pagerDutyConnector } from '../../../src/connectors/vendors/pagerduty/pagerduty.connector.js';
import { qualysConnector } from '../../../src/connectors/vendors/qualys/qualys.connector.js';
import { serviceNowConnector } from '../../../src/connectors/vendors/servicenow/servicenow.connector.js';
import { slackConnector } from '../../../src/connectors/vendors/slack/slack.connector.js';
import { smtpConnector } from '../../../src/connectors/vendors/smtp/smtp.connector.js';
import { splunkConnector } from '../../../src/connectors/vendors/splunk/splunk.connector.js';
import { teamsConnector } from '../../../src/connectors/vendors/teams/teams.connector.js';
import { tenableConnector } from '../../../src/connectors/vendors/tenable/tenable.connector.js';
import { vulnerabilityConnector } from '../../../src/connectors/vendors/vulnerability/vulnerability.connector.js';

const CONNECTORS = [
  splunkConnector,
  elasticsearchConnector,
  tenableConnector,
  qualysConnector,
  vulnerabilityConnector,
  jiraConnector,
  serviceNowConnector,
  gitHubConnector,
  slackConnector,
  teamsConnector,
  smtpConnector,
  pagerDutyConnector,
];

describe('SIEM, vulnerability, ticketing and chat connectors: declarations', () => {
  const registry = createConnectorRegistry(CONNECTORS);

  it.each(CONNECTORS.map((c) => [c.name, c] as const))(
    '%s exports JSON Schemas for its config and every action',
    (_name, connector) => {
      expect(() => z.toJSONSchema(connector.config, { io: 'input', unrepresentable: 'any' })).not.toThrow();
      for (const action of connector.actions) {
        const descriptor = registry.describe(action.name);
        expect(descriptor?.inputSchema).toMatchObject({ type: 'object' });
        expect(descriptor?.exampleOutput).toEqual(action.example);
      }
    },
  );

  it('marks every credential as a secret (encrypted at rest, write-only)', () => {
    expect(Object.fromEntries(CONNECTORS.map((c) => [c.name, [...c.secretKeys].sort()]))).toEqual({
      splunk: ['password', 'token'],
      elasticsearch: ['apiKey', 'password'],
      tenable: ['accessKey', 'secretKey'],
      qualys: ['password'],
      vulnerability: [],
      jira: ['apiToken'],
      servicenow: ['clientSecret', 'password'],
      github: ['token'],
      slack: ['botToken', 'signingSecret'],
      teams: ['webhookUrl'],
      smtp: ['password'],
      pagerduty: ['routingKey'],
    });
  });
});
