// HTTP routes of team mailboxes (docs/format.md §13.5): a member's teams, a certified team's key for senders, adding
// and removing (re-keying) members, and certification by an administrator. Every route is a signed-in member's.
import {
  API_PREFIX, AddTeamMemberRequest, AdminTeam, AdminTeamList, AdminTeamsQuery, CertifyTeamRequest, CreateTeamRequest, PublicTeamKey,
  RemoveTeamMemberRequest, TEAM_LIMITS, TeamDetail, TeamIdParams, TeamKeyByNameQuery, TeamList, TeamMemberParams, TeamRekeyed,
} from '@valise/protocol';
import type { FastifyInstance } from 'fastify';
import { adminOnly } from '../accounts/admin-only.js';
import type { MemberAuthentication } from '../accounts/authenticate.js';
import type { DomainPlugin } from '../http/app.js';
import type { TeamService } from './teams.service.js';

export function teamRoutes(teams: TeamService, auth: MemberAuthentication): DomainPlugin {
  return {
    name: 'teams',
    prefix: API_PREFIX,
    register(app: FastifyInstance) {
      const tags = ['teams'];
      // Authenticated on arrival, before a body is parsed.
      const member = { onRequest: auth.preHandler };
      const admin = { onRequest: adminOnly(auth) };

      app.post<{ Body: CreateTeamRequest }>('/teams', {
        ...member,
        schema: { tags, summary: 'Create a team from keys made on the client (the creator is its first member)', body: CreateTeamRequest, response: { 201: TeamDetail } },
      }, async (request, reply) => reply.status(201).header('cache-control', 'no-store').send(await teams.create(auth.memberOf(request), request.body)));

      app.get('/teams', {
        ...member,
        schema: { tags, summary: 'The teams the member belongs to', response: { 200: TeamList } },
      }, async (request) => teams.list(auth.memberOf(request)));

      app.get<{ Querystring: TeamKeyByNameQuery }>('/teams/key', {
        ...member,
        schema: { tags, summary: 'A certified team\'s current key, by name (to send to the team)', querystring: TeamKeyByNameQuery, response: { 200: PublicTeamKey } },
      }, async (request) => teams.key({ name: request.query.name }));

      app.get<{ Params: TeamIdParams }>('/teams/:teamId', {
        ...member,
        schema: { tags, summary: 'A team of the member\'s: keys, members, boxes and the member\'s own sealed copy', params: TeamIdParams, response: { 200: TeamDetail } },
      }, async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return teams.detail(auth.memberOf(request), request.params.teamId);
      });

      app.get<{ Params: TeamIdParams }>('/teams/:teamId/key', {
        ...member,
        schema: { tags, summary: 'A certified team\'s current key, by id (to send to the team)', params: TeamIdParams, response: { 200: PublicTeamKey } },
      }, async (request) => teams.key({ teamId: request.params.teamId }));

      app.post<{ Params: TeamIdParams; Body: AddTeamMemberRequest }>('/teams/:teamId/members', {
        ...member,
        schema: { tags, summary: 'Add a member: the team keys sealed to their certified key', params: TeamIdParams, body: AddTeamMemberRequest, response: { 200: TeamDetail } },
      }, async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return teams.addMember(auth.memberOf(request), request.params.teamId, request.body);
      });

      app.post<{ Params: TeamMemberParams; Body: RemoveTeamMemberRequest }>('/teams/:teamId/members/:memberId/remove', {
        ...member,
        // A copy of the keys for every remaining member and a new epoch for every box the team owns.
        bodyLimit: TEAM_LIMITS.removeBodyBytes,
        schema: { tags, summary: 'Remove a member, re-keying the team and its drop boxes', params: TeamMemberParams, body: RemoveTeamMemberRequest, response: { 200: TeamRekeyed } },
      }, async (request) => teams.removeMember(auth.memberOf(request), request.params.teamId, request.params.memberId, request.body));

      app.get<{ Querystring: AdminTeamsQuery }>('/admin/teams', {
        ...admin,
        schema: { tags, summary: 'Teams pending certification, or certified (administrators)', querystring: AdminTeamsQuery, response: { 200: AdminTeamList } },
      }, async (request) => teams.listForAdmin(request.query.status ?? 'pending'));

      app.post<{ Params: TeamIdParams; Body: CertifyTeamRequest }>('/admin/teams/:teamId/certificate', {
        ...admin,
        schema: { tags, summary: 'Store the organisation\'s certificate of a team (administrators)', params: TeamIdParams, body: CertifyTeamRequest, response: { 200: AdminTeam } },
      }, async (request) => teams.certify(auth.memberOf(request), request.params.teamId, request.body));
    },
  };
}
