'use strict';
// jest resolves with the "require" condition, but the kubernetes-models schema packages (and
// their few dependencies) publish ESM only. Resolve those with "import"; the transform (see
// transformIgnorePatterns) turns them into CommonJS like our own TypeScript.
const ESM_ONLY = /(^|[\\/]node_modules[\\/])(@kubernetes-models[\\/]|kubernetes-models([\\/]|$)|is-cidr([\\/]|$)|cidr-regex([\\/]|$)|ip-regex([\\/]|$))/;

module.exports = (request, options) => {
  const fromEsmOnly = ESM_ONLY.test(options.basedir);
  const toEsmOnly = ESM_ONLY.test(request) || /^(@kubernetes-models\/|kubernetes-models(\/|$)|is-cidr$|cidr-regex$|ip-regex$)/.test(request);
  if (fromEsmOnly || toEsmOnly) {
    return options.defaultResolver(request, { ...options, conditions: ['import', 'node', 'default'] });
  }
  return options.defaultResolver(request, options);
};
