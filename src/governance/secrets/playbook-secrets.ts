/**
 * Playbook secrets (`secrets.NAME` in expressions) are environment variables `RIPOSTE_SECRET_<NAME>`, with the
 * name upper-cased and anything outside A-Z, 0-9 turned into `_`. Workers read the value only at the moment
 * a connector is called, so it never enters a run's state, its events or the log.
 *
 * A secret "exists" for validation and publishing when the publishing process has that variable set: the
 * API and worker processes of one deployment share one secret environment (one env file), so what the
 * publisher sees is what the workers will resolve. Connector instance credentials are not playbook secrets:
 * they are configured per instance through the API and stored encrypted with the instance.
 */
export const SECRET_ENV_PREFIX = 'RIPOSTE_SECRET_';

/** The environment variable that holds a playbook secret. */
export const secretEnvVar = (name: string): string =>
  `${SECRET_ENV_PREFIX}${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/** Resolves playbook secrets from an environment, for workers. */
export const secretFromEnvironment =
  (env: NodeJS.ProcessEnv) =>
  (name: string): string | undefined => {
    const value = env[secretEnvVar(name)];
    return value === '' ? undefined : value;
  };
