/**
 * Imported first by the app's entry point: Node keeps the V8 code of the modules it compiles
 * (aws-cdk-lib is most of them) in its compile cache, so later synths start faster. The cache
 * is Node's own (`module.enableCompileCache`, in the OS temp directory unless NODE_COMPILE_CACHE
 * names another) and checks each module's source, so a changed module is compiled again.
 */
import * as module from 'node:module';

module.enableCompileCache?.();
