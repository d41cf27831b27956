// Prints the register of processing (art. 30 AVG; information for art. 12 AVG and the OCW
// meldingenregister) from the agreements: per recipient the legal basis, purpose, fields, conditions,
// term, retention and output topic.
//   npm run processing-register [-- --dir agreements]
import { createCli, loadConfig, nonEmpty, parseOrExit } from '@register-feeds/service-kit';
import { AgreementError } from '../agreement.ts';
import { settings } from '../config.ts';
import { loadAgreements } from '../load-agreements.ts';
import { renderProcessingRegister } from '../processing-register.ts';

const program = createCli({
  name: 'processing-register',
  usage: 'npm run processing-register --',
  description: 'Prints the register of processing (art. 30 AVG) from the agreements: per recipient basis, purpose, fields, term.',
}).option('--dir <dir>', 'the agreements directory (default AGREEMENTS_DIR, agreements/)', nonEmpty);
parseOrExit(program);
const dir = program.opts().dir ?? loadConfig({ agreementsDir: settings.agreementsDir }).agreementsDir;
try {
  process.stdout.write(`${renderProcessingRegister(loadAgreements(dir))}\n`);
} catch (error) {
  if (!(error instanceof AgreementError)) throw error;
  process.stderr.write(`processing-register: ${error.message}\n`);
  process.exit(1);
}
