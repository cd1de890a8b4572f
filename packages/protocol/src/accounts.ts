// Accounts API: enrollment (password + TOTP), login, logout, the current member.
import { Type, type Static } from '@sinclair/typebox';
import { Email, Id, Timestamp, Token, TotpCode } from './primitives.js';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;

const strict = { additionalProperties: false } as const;

/** POST /api/v1/enroll/start: the enrollment token (from the link's fragment) buys a fresh TOTP secret. */
export const EnrollStartRequest = Type.Object({ token: Token }, strict);
export const EnrollStartResponse = Type.Object({
  /** null for the first administrator's enrollment: the address is chosen in enroll/complete. */
  email: Type.Union([Email, Type.Null()]),
  totpSecret: Type.String({ description: 'base32 TOTP secret (RFC 6238, SHA-1, 6 digits, 30 s)' }),
  otpauthUri: Type.String(),
}, strict);

/** POST /api/v1/enroll/complete: set the password and prove the authenticator works. */
export const EnrollCompleteRequest = Type.Object({
  token: Token,
  /** Required when enroll/start answered `email: null` (first administrator); otherwise must match or be absent. */
  email: Type.Optional(Email),
  password: Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH }),
  totpCode: TotpCode,
}, strict);

export const Member = Type.Object({ id: Id, email: Email, isAdmin: Type.Boolean() }, strict);

/** POST /api/v1/auth/login. `client: "cli"` returns an API token; `"web"` sets a session cookie. */
export const LoginRequest = Type.Object({
  email: Email,
  password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
  totpCode: TotpCode,
  client: Type.Union([Type.Literal('cli'), Type.Literal('web')]),
  label: Type.Optional(Type.String({ maxLength: 100, description: 'name of the device, for the token list' })),
}, strict);
export const LoginResponse = Type.Object({
  member: Member,
  token: Type.Optional(Token),
  expiresAt: Type.Union([Timestamp, Type.Null()]),
}, strict);

/** POST /api/v1/auth/logout revokes the current session or API token. GET /api/v1/me returns the Member. */
export type EnrollStartRequest = Static<typeof EnrollStartRequest>;
export type EnrollStartResponse = Static<typeof EnrollStartResponse>;
export type EnrollCompleteRequest = Static<typeof EnrollCompleteRequest>;
export type Member = Static<typeof Member>;
export type LoginRequest = Static<typeof LoginRequest>;
export type LoginResponse = Static<typeof LoginResponse>;
