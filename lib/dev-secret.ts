/** The documented development signing key: accepted only when STAGE is "local" or "test" (see lib/config.ts). */
export const DEV_SECRET_KEY = 'ansari-local-development-secret-do-not-deploy';
