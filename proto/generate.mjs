// Generates TypeScript types for berth.proto into proto/generated (run by `npm run build`).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'generated');
rmSync(out, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    join(here, '..', 'node_modules', '@grpc', 'proto-loader', 'build', 'bin', 'proto-loader-gen-types.js'),
    'berth.proto',
    '--longs=String', '--enums=String', '--defaults', '--oneofs', '--keepCase',
    // NodeNext module resolution needs explicit .js extensions in the generated imports.
    '--importFileExtension=.js', '--grpcLib=@grpc/grpc-js', '--outDir', out, `--includeDirs=${here}`,
  ],
  { stdio: 'inherit' },
);
