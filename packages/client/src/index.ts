// @valise/client: the typed API client and the transfer engine (encrypt, upload, resume, download, decrypt).
// Isomorphic: global fetch and WebCrypto only, no node:* and no DOM-only APIs, so the web app and the CLI share it.
export { ApiError, type ApiErrorCode, isApiError, parseRetryAfter } from './api-error.js';
export { ValiseApi, type ValiseApiOptions, normalizeServerUrl } from './api-client.js';
export { DEFAULT_RETRY, type RetryPolicy, type Sleep } from './http.js';
export { IntegrityError, type IntegrityFailure } from './integrity-error.js';
export { FALLBACK_FILE_NAME, MAX_FILE_NAME_BYTES, safeFileName, uniqueName } from './file-names.js';
export { type EnrollmentLink, LinkError, type TransferLink, buildTransferLink, parseEnrollmentLink, parseTransferLink } from './links.js';
export { type ProgressListener, type TransferProgress } from './progress.js';
export { type ResumeFileState, type ResumeState, type ResumeStore, createMemoryResumeStore, isResumeState } from './resume-store.js';
export {
  type FileSource, type MemberDelivery, type SealPartJob, type SealedPart, type UploadNotice, type UploadOptions, type UploadResult, encryptorForJob,
  fingerprintUpload, sealPart, uploadTransfer,
} from './upload.js';
export {
  type AskCodeContext, type CreateSink, type DecryptToSinksOptions, type DownloadOptions, type DownloadResult, type FileSink,
  type KeptGrant, type OpenOptions, type OpenPartJob, type OpenedTransfer, type ReceivedFileMeta, type RecipientIdentity,
  decryptToSinks, decryptorForJob, downloadTransfer, openPart, openTransfer, receiveTransfer, resumeTransfer,
} from './download.js';
export {
  type ContactPins, KEY_LOSS_WARNING, type Me, MemberKeyError, type MemberKeyErrorCode, type MemberKeysApi, type ResolvedContact,
  type ServedMemberKey, type StoredMemberKeys, type UnlockedAccount, changePassphrase, createMemberKeys, replaceRecoveryCode,
  resolveContact, safetyNumberWith, unlockMemberKeys,
} from './member-keys.js';
export { type OpenMemberOptions, type OpenedMemberTransfer, type OpenedTeamTransfer, openMemberTransfer, openTeamTransfer } from './member-download.js';
export { type OpenedTeam, addTeamMember, createTeamAsMember, openMyTeam, removeTeamMember, resolveTeamKey } from './teams.js';
export { type BoxLink, buildBoxLink, parseBoxLink } from './links.js';
export {
  type DepositOptions, type DepositorIdentity, type NewBoxSettings, type OpenedBox, type OpenedDeposit, createBox, depositFiles, openBox,
  openDepositTransfer, openOwnedBox, verifyDepositor,
} from './drop-box.js';
