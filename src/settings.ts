// Start-up of the service and the CLI alike: the environment and the sites file, or one line that
// names what is wrong and exit code 2 (a configuration error, not a crash).
import { ConfigError, loadConfig, type Config } from './config.js';
import { loadSites, SitesError, type SiteRegistry } from './sites.js';

export function loadSettingsOrExit(): { config: Config; sites: SiteRegistry } {
  try {
    const config = loadConfig();
    return { config, sites: loadSites(config.sitesFile) };
  } catch (error) {
    if (error instanceof ConfigError || error instanceof SitesError) {
      console.error(`headcount: configuration error: ${error instanceof SitesError ? `SITES_FILE: ${error.message}` : error.message}`);
      process.exit(2);
    }
    throw error;
  }
}
