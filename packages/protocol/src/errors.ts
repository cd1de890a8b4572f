// The one closed vocabulary of API errors: each code maps to exactly one HTTP status.
// The server answers RFC 9457 problem+json carrying `code`; clients render their own words from the code.

export const ERROR_STATUS = {
  // request shape
  validation_failed: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  not_found: 404,
  range_not_satisfiable: 416,
  method_not_allowed: 405,
  // identity
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  enrollment_invalid: 410,
  password_too_weak: 400,
  totp_invalid: 400,
  rate_limited: 429,
  // transfers: creation and upload
  expiry_out_of_range: 400,
  max_downloads_out_of_range: 400,
  data_class_unknown: 400,
  outside_recipient_not_allowed: 400,
  too_many_files: 400,
  too_many_recipients: 400,
  file_too_large: 413,
  quota_exceeded: 413,
  part_out_of_range: 400,
  part_size_mismatch: 400,
  part_hash_mismatch: 422,
  transfer_not_uploading: 409,
  upload_incomplete: 409,
  // the gate
  link_unavailable: 410,
  transfer_expired: 410,
  transfer_exhausted: 410,
  transfer_revoked: 410,
  link_proof_invalid: 403,
  challenge_invalid: 400,
  code_invalid: 400,
  code_expired: 400,
  too_many_attempts: 429,
  grant_invalid: 401,
  // member keys (docs/format.md §11)
  member_keys_exist: 409,
  member_keys_missing: 404,
  member_key_unavailable: 404,
  member_key_changed: 409,
  key_record_invalid: 400,
  wrap_invalid: 400,
  last_unlock_method: 409,
  certificate_invalid: 422,
  // 409, not 503: a configuration the server is running with, not an outage; retrying will not help.
  org_key_not_configured: 409,
  // member slots and signed manifests (docs/format.md §12)
  member_slot_invalid: 400,
  manifest_signature_invalid: 400,
  link_required: 422,
  // drop boxes (docs/format.md §13)
  box_key_invalid: 400,
  box_key_changed: 409,
  box_slot_invalid: 400,
  box_closed: 410,
  box_expired: 410,
  box_full: 410,
  depositor_domain_not_allowed: 403,
  deposit_token_invalid: 401,
  deposit_too_large: 413,
  box_quota_exceeded: 413,
  // team mailboxes (docs/format.md §13.5)
  team_record_invalid: 400,
  team_key_invalid: 400,
  team_key_changed: 409,
  team_unavailable: 404,
  team_name_taken: 409,
  team_slot_invalid: 400,
  team_rekey_incomplete: 422,
  // server state
  conflict: 409,
  unavailable: 503,
  internal_error: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** Plain-English titles; the server sends them, clients may render their own words from `code`. */
export const ERROR_TITLES: Record<ErrorCode, string> = {
  validation_failed: 'The request is not valid.',
  unsupported_media_type: 'This content type is not accepted here.',
  payload_too_large: 'The request body is too large.',
  not_found: 'Nothing is here.',
  range_not_satisfiable: 'The requested byte range is not in this part.',
  method_not_allowed: 'This method is not allowed here.',
  unauthenticated: 'Sign in first.',
  invalid_credentials: 'The e-mail address, password or code is wrong.',
  forbidden: 'You may not do this.',
  enrollment_invalid: 'This enrollment link is not valid any more.',
  password_too_weak: 'The password is too short or too weak.',
  totp_invalid: 'The authenticator code is wrong.',
  rate_limited: 'Too many attempts. Wait, then try again.',
  expiry_out_of_range: 'The expiry is outside what the policy allows.',
  max_downloads_out_of_range: 'The maximum number of downloads is outside what the policy allows.',
  data_class_unknown: 'This data class does not exist.',
  outside_recipient_not_allowed: 'This data class only allows members as recipients.',
  too_many_files: 'Too many files in one transfer.',
  too_many_recipients: 'Too many recipients in one transfer.',
  file_too_large: 'A file is larger than the policy allows.',
  quota_exceeded: 'This transfer would exceed your storage quota.',
  part_out_of_range: 'This part does not belong to the file.',
  part_size_mismatch: 'The part does not have the expected size.',
  part_hash_mismatch: 'The part does not match its hash.',
  transfer_not_uploading: 'This transfer no longer accepts uploads.',
  upload_incomplete: 'Some parts have not been uploaded yet.',
  link_unavailable: 'This link is not available: it may have expired or never existed.',
  transfer_expired: 'This transfer has expired; its files have been deleted.',
  transfer_exhausted: 'This transfer has reached its maximum number of downloads.',
  transfer_revoked: 'The sender revoked this transfer.',
  link_proof_invalid: 'The link is incomplete or damaged.',
  challenge_invalid: 'The link check expired. Start again.',
  code_invalid: 'The code is wrong.',
  code_expired: 'The code has expired. Ask for a new one.',
  too_many_attempts: 'Too many wrong codes. Ask for a new one later.',
  grant_invalid: 'The download permission is not valid any more. Open the link again.',
  member_keys_exist: 'Your keys are already set up.',
  member_keys_missing: 'No keys have been set up for this account yet.',
  member_key_unavailable: 'This member has no certified key.',
  member_key_changed: 'This member\'s key changed since you looked at it.',
  key_record_invalid: 'The key record is not valid, or does not name you.',
  wrap_invalid: 'An unlock method is not well-formed.',
  last_unlock_method: 'This is your last passphrase or passkey: add another before removing it.',
  certificate_invalid: 'The certificate does not verify with the organisation key.',
  org_key_not_configured: 'No organisation key is configured on this server.',
  member_slot_invalid: 'A member slot is not well-formed, or does not name a recipient of this transfer.',
  manifest_signature_invalid: 'The manifest signature is missing, malformed or not made with your current certified key.',
  link_required: 'Some recipients have no member slot: this transfer needs a link for them.',
  box_key_invalid: 'The box key record is malformed, names another box or epoch, or is not signed by the box signing key.',
  box_key_changed: 'The drop box has a newer key: fetch the box again and encrypt to its current key.',
  box_slot_invalid: 'The box slot is not well-formed for the box key it names.',
  box_closed: 'This drop box is closed: it accepts no more deposits.',
  box_expired: 'This drop box has expired: it accepts no more deposits.',
  box_full: 'This drop box has received all the deposits it accepts.',
  depositor_domain_not_allowed: 'This drop box only accepts deposits from addresses of certain domains.',
  deposit_token_invalid: 'The deposit permission is not valid any more. Verify your address again.',
  deposit_too_large: 'The deposit is larger than this drop box accepts.',
  box_quota_exceeded: 'The owner of this drop box has no storage left for this deposit.',
  team_record_invalid: 'The team record is not valid (docs/format.md §13.5).',
  team_key_invalid: 'The team key record is malformed, names another team or epoch, or is not signed by the team.',
  team_key_changed: 'The team has a newer key: fetch the team again and seal to its current key.',
  team_unavailable: 'This team does not exist, or is not certified by the organisation yet.',
  team_name_taken: 'A team with this name exists already.',
  team_slot_invalid: 'A team slot is not well-formed, or does not name a team of this transfer.',
  team_rekey_incomplete: 'The re-keying does not cover exactly the remaining members and every box the team owns.',
  conflict: 'The request conflicts with the current state.',
  unavailable: 'The service is not available right now.',
  internal_error: 'Something went wrong on the server.',
};

/** RFC 9457 problem details, as Valise sends them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  /** For validation_failed: where and what. */
  errors?: { path: string; message: string }[];
  /** For 429: seconds to wait (also sent as the Retry-After header). */
  retryAfter?: number;
  /** For code_invalid: attempts left on this code. */
  attemptsLeft?: number;
}

export function problemType(code: ErrorCode): string {
  return `urn:valise:problem:${code}`;
}
