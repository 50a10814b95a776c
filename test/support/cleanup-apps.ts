import { removeTestAppOutputs } from './test-app';

// jest setupFilesAfterEnv: after each test file, remove the output directories of the apps it
// made with createTestApp. The run's temporary root goes at the end of the run (temp-root.cjs);
// this keeps the cloud assemblies of finished files from piling up while the run goes on.
afterAll(() => {
  removeTestAppOutputs();
});
