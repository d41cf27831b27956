// Prints the register of processing (art. 30 AVG; information for art. 12 AVG and the OCW
// meldingenregister) from the agreements: per recipient the legal basis, purpose, fields, conditions,
// term, retention and output topic.
//   npm run processing-register [-- --dir agreements]
import { parseArgs } from 'node:util';
import { loadConfig } from '@register-feeds/service-kit';
import { AgreementError } from '../agreement.ts';
import { settings } from '../config.ts';
import { loadAgreements } from '../load-agreements.ts';
import { renderProcessingRegister } from '../processing-register.ts';

const { values } = parseArgs({ options: { dir: { type: 'string' } } });
const dir = values.dir ?? loadConfig({ agreementsDir: settings.agreementsDir }).agreementsDir;
try {
  process.stdout.write(`${renderProcessingRegister(loadAgreements(dir))}\n`);
} catch (error) {
  if (!(error instanceof AgreementError)) throw error;
  process.stderr.write(`processing-register: ${error.message}\n`);
  process.exit(1);
}
