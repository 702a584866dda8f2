import { config as loadDotenv } from 'dotenv';
import { ConfigError, loadConfig, type Config } from '../config.js';

/** Reads `.env` from the working directory, then validates the environment; exits naming each bad variable. */
export function configFromEnvironment(): Config {
  loadDotenv({ quiet: true });
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}
