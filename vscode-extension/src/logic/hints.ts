/**
 * Inlay hints (the route after each entry's signature, the route each workflow task calls) are the
 * server's; the setting `coworks.inlayHints.enabled` turns them off. The server reads it from its
 * initialization options (`inlayHints: false`) and from `workspace/didChangeConfiguration`
 * (`{"coworks": {"inlayHints": {"enabled": false}}}`), then asks the editor to refresh them.
 */

/** The setting, under the `coworks` section. */
export const HINTS_SETTING = 'inlayHints.enabled';

/** What the initialization options say about hints: nothing when they are on (the default). */
export function hintsOption(enabled: boolean): { inlayHints?: false } {
  return enabled ? {} : { inlayHints: false };
}

/** The `workspace/didChangeConfiguration` parameters telling the server the setting. */
export function hintsChange(enabled: boolean): { settings: { coworks: { inlayHints: { enabled: boolean } } } } {
  return { settings: { coworks: { inlayHints: { enabled } } } };
}
