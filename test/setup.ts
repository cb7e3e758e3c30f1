import { silenceNodeVersionWarning } from '../lib/util/node-warnings';

silenceNodeVersionWarning();

// Function logs (Powertools) are for CloudWatch; tests read results, not logs.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
