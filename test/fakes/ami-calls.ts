/**
 * Whole calls on the fake AMI server, event for event as FreePBX on Asterisk 18–22 produces them (orders from
 * apps/app_queue.c ring_entry/wait_for_answer/rna/try_calling, apps/app_dial.c, channels/chan_pjsip.c,
 * main/manager_channels.c and manager_bridges.c; reference §3):
 *
 * - A queue call: the caller's trunk channel waits in Queue(); for each member app_queue creates
 *   `Local/<ext>@from-queue-<n>;1` (Down) and `;2` (Ring, runs from-queue → macro-dial-one), publishes
 *   AgentCalled then DialBegin (caller → ;1); the `;2` half dials the phone: `PJSIP/<ext>-<n>` is born Down,
 *   DialBegin (;2 → phone), the phone's 180 makes it Ringing. Answered: the phone goes Up, DialEnd ANSWER,
 *   the ;2 half and the phone are bridged, the queue hangs up the other members' legs (DialEnd CANCEL, Hangup),
 *   then AgentConnect and the caller is bridged with ;1. Rung out: AgentRingNoAnswer for each member, DialEnd
 *   NOANSWER (caller → ;1), the legs hang up (the phone's own DialEnd is CANCEL).
 * - A direct call: macro-dial-one Dial()s the phone from the caller's channel; rung out: DialEnd NOANSWER.
 * - An outgoing call: the phone's INVITE creates its channel in state Ring with Exten = the digits dialled.
 * - A feature code (*76, *45, …): the same Ring channel with Exten = the code; its dialplan answers it (Up),
 *   plays a prompt and hangs up.
 */
import type { FakeAmiServer, FakeChannel } from './fake-ami-server.js';

const EPOCH = 1_700_000_000;
const NORMAL: [string, string] = ['16', 'Normal Clearing'];

interface MemberLegs {
  local1: FakeChannel;
  local2: FakeChannel;
  phone: FakeChannel;
}

/** Asterisk never reuses a Uniqueid: one counter for every script in the process (the adapter tombstones them). */
let seq = 0x40;

export class AmiCalls {
  constructor(readonly fake: FakeAmiServer) {}

  /** An outside caller on the trunk, answered by the dialplan (Queue answers before ringing members). */
  caller(number = '0612345678', did = '0301234567'): FakeChannel {
    const channel = this.open('PJSIP/provider', null, {
      state: '4',
      context: 'from-pstn',
      exten: did,
      callerIdNum: number,
    });
    this.fake.setChannelState(channel.uniqueid, '6');
    return channel;
  }

  queueCall(queue: string, members: string[], caller = this.caller()): QueueCall {
    return new QueueCall(this, queue, members, caller);
  }

  /** A call to one extension (FreePBX macro-dial-one), ringing from the start. */
  directCall(extension: string, caller = this.caller()): DirectCall {
    return new DirectCall(this, extension, caller);
  }

  /** The agent dials out: an activity from the first event. */
  outboundCall(extension: string, number = '0612345678'): OutboundCall {
    return new OutboundCall(this, extension, number);
  }

  /** The agent dials a feature code: the whole short call, Newchannel to Hangup. */
  featureCode(extension: string, code: string): FakeChannel {
    const phone = this.open(`PJSIP/${extension}`, null, {
      state: '4',
      context: 'from-internal',
      exten: code,
      callerIdNum: extension,
      application: 'Playback',
    });
    this.fake.setChannelState(phone.uniqueid, '6'); // Answer() before the "do-not-disturb activated" prompt
    this.fake.hangupChannel(phone.uniqueid);
    return phone;
  }

  /** Newchannel for a new channel `<prefix>-<8 hex>`; `linkedid` null: it starts a call of its own. */
  open(prefix: string, linkedid: string | null, fields: Partial<FakeChannel>): FakeChannel {
    const uniqueid = this.nextUniqueid();
    const channel: FakeChannel = {
      channel: `${prefix}-${hex(seq)}`,
      uniqueid,
      linkedid: linkedid ?? uniqueid,
      ...fields,
    };
    this.fake.startChannel(channel);
    return channel;
  }

  /** The Local/ pair of a queue member: one name with ;1 (the queue's side) and ;2 (runs from-queue). */
  localPair(extension: string, linkedid: string): [FakeChannel, FakeChannel] {
    const base = { linkedid, context: 'from-queue', exten: extension };
    const one: FakeChannel = { ...base, channel: '', uniqueid: this.nextUniqueid(), state: '0' };
    const name = `Local/${extension}@from-queue-${hex(seq)}`;
    const two: FakeChannel = { ...base, channel: `${name};2`, uniqueid: this.nextUniqueid(), state: '4' };
    one.channel = `${name};1`;
    this.fake.startChannel(one);
    this.fake.startChannel(two);
    return [one, two];
  }

  private nextUniqueid(): string {
    seq += 1;
    return `${EPOCH + seq}.${seq}`;
  }

  hangUp(channel: FakeChannel, cause = NORMAL): void {
    if (this.fake.channels.has(channel.uniqueid)) this.fake.hangupChannel(channel.uniqueid, undefined, cause);
  }
}

export class QueueCall {
  readonly legs = new Map<string, MemberLegs>();
  private answeredBy: string | null = null;
  private readonly fake: FakeAmiServer;

  constructor(
    private readonly calls: AmiCalls,
    readonly queue: string,
    readonly members: string[],
    readonly caller: FakeChannel,
  ) {
    this.fake = calls.fake;
  }

  get linkedid(): string {
    return this.caller.linkedid;
  }

  /** ringall: every member's phone rings. */
  ring(members = this.members): this {
    for (const member of members) this.ringMember(member);
    return this;
  }

  answer(member: string): this {
    const legs = this.legsOf(member);
    const { local1, local2, phone } = legs;
    this.answeredBy = member;
    this.fake.setChannelState(phone.uniqueid, '6');
    this.fake.dialEnd(local2, phone, 'ANSWER');
    this.fake.setChannelState(local2.uniqueid, '6');
    this.fake.bridgeEnter(`bridge-${phone.uniqueid}`, local2, 1);
    this.fake.bridgeEnter(`bridge-${phone.uniqueid}`, phone, 2);
    this.fake.setChannelState(local1.uniqueid, '6');
    this.fake.dialEnd(this.caller, local1, 'ANSWER');
    for (const other of this.legs.keys()) if (other !== member) this.dropMember(other, 'CANCEL');
    this.fake.agentEvent('AgentConnect', this.caller, local1, [
      ...this.blob(member),
      ['HoldTime', '4'],
      ['RingTime', '3'],
    ]);
    this.fake.bridgeEnter(`bridge-${this.caller.uniqueid}`, this.caller, 1);
    this.fake.bridgeEnter(`bridge-${this.caller.uniqueid}`, local1, 2);
    return this;
  }

  /** The member timeout passed: rna() for every ringing member, then their legs go. */
  ringNoAnswer(): this {
    const ringing = [...this.legs.keys()];
    for (const member of ringing) {
      const { local1 } = this.legsOf(member);
      this.fake.agentEvent('AgentRingNoAnswer', this.caller, local1, [
        ...this.blob(member),
        ['RingTime', '15000'],
      ]);
    }
    for (const member of ringing) this.dropMember(member, 'NOANSWER');
    return this;
  }

  /** The caller hangs up while members ring (abandoned): nobody missed anything. */
  abandon(): void {
    for (const member of [...this.legs.keys()]) this.dropMember(member, 'CANCEL');
    this.calls.hangUp(this.caller);
  }

  /** The answered call ends (the caller hangs up). */
  hangUp(): void {
    const member = this.answeredBy;
    if (member) {
      const { local1, local2, phone } = this.legsOf(member);
      this.fake.bridgeLeave(`bridge-${phone.uniqueid}`, phone, 1);
      this.calls.hangUp(phone);
      this.calls.hangUp(local2);
      this.fake.agentEvent('AgentComplete', this.caller, local1, [
        ...this.blob(member),
        ['HoldTime', '4'],
        ['TalkTime', '60'],
        ['Reason', 'caller'],
      ]);
      this.calls.hangUp(local1);
    }
    this.calls.hangUp(this.caller);
  }

  private ringMember(member: string): void {
    const [local1, local2] = this.calls.localPair(member, this.linkedid);
    this.fake.agentEvent('AgentCalled', this.caller, local1, this.blob(member));
    this.fake.dialBegin(this.caller, local1, `Local/${member}@from-queue/n`);
    const phone = this.calls.open(`PJSIP/${member}`, this.linkedid, {
      state: '0',
      context: 'from-internal',
      exten: 's',
      connectedLineNum: this.caller.callerIdNum ?? '',
    });
    this.fake.dialBegin(local2, phone, `PJSIP/${member}/sip:${member}@192.0.2.10:5060`);
    this.fake.setChannelState(phone.uniqueid, '5');
    this.fake.setChannelState(local1.uniqueid, '5');
    this.legs.set(member, { local1, local2, phone });
  }

  /** The queue hangs up a member's Local/ leg; its ;2 half's Dial cancels the phone. */
  private dropMember(member: string, dialStatus: string): void {
    const { local1, local2, phone } = this.legsOf(member);
    this.fake.dialEnd(this.caller, local1, dialStatus);
    this.calls.hangUp(local1);
    this.fake.dialEnd(local2, phone, 'CANCEL');
    this.calls.hangUp(phone);
    this.calls.hangUp(local2);
    this.legs.delete(member);
  }

  private blob(member: string): Array<[string, string]> {
    return [
      ['Queue', this.queue],
      ['Interface', `Local/${member}@from-queue/n`],
      ['MemberName', `Agent ${member}`],
    ];
  }

  private legsOf(member: string): MemberLegs {
    const legs = this.legs.get(member);
    if (!legs) throw new Error(`${member} is not ringing for queue ${this.queue}`);
    return legs;
  }
}

export class DirectCall {
  readonly phone: FakeChannel;
  private readonly fake: FakeAmiServer;

  constructor(
    private readonly calls: AmiCalls,
    readonly extension: string,
    readonly caller: FakeChannel,
  ) {
    this.fake = calls.fake;
    this.phone = calls.open(`PJSIP/${extension}`, caller.linkedid, {
      state: '0',
      context: 'from-internal',
      exten: 's',
      connectedLineNum: caller.callerIdNum ?? '',
    });
    this.fake.dialBegin(caller, this.phone, `PJSIP/${extension}/sip:${extension}@192.0.2.10:5060`);
    this.fake.setChannelState(this.phone.uniqueid, '5');
  }

  answer(): this {
    this.fake.setChannelState(this.phone.uniqueid, '6');
    this.fake.dialEnd(this.caller, this.phone, 'ANSWER');
    this.fake.bridgeEnter(`bridge-${this.caller.uniqueid}`, this.caller, 1);
    this.fake.bridgeEnter(`bridge-${this.caller.uniqueid}`, this.phone, 2);
    return this;
  }

  /** The ring time passed (the caller then goes on to voicemail). */
  ringOut(): void {
    this.fake.dialEnd(this.caller, this.phone, 'NOANSWER');
    this.calls.hangUp(this.phone, ['19', 'User alerting, no answer']);
  }

  /** The caller gave up while it rang. */
  abandon(): void {
    this.fake.dialEnd(this.caller, this.phone, 'CANCEL');
    this.calls.hangUp(this.phone);
    this.calls.hangUp(this.caller);
  }

  hangUp(): void {
    this.calls.hangUp(this.phone);
    this.calls.hangUp(this.caller);
  }
}

export class OutboundCall {
  readonly phone: FakeChannel;
  readonly trunk: FakeChannel;
  private readonly fake: FakeAmiServer;

  constructor(
    private readonly calls: AmiCalls,
    readonly extension: string,
    readonly number: string,
  ) {
    this.fake = calls.fake;
    this.phone = calls.open(`PJSIP/${extension}`, null, {
      state: '4',
      context: 'from-internal',
      exten: number,
      callerIdNum: extension,
      application: 'Dial',
    });
    this.trunk = calls.open('PJSIP/provider', this.phone.linkedid, { state: '0', exten: number });
    this.fake.dialBegin(this.phone, this.trunk, `PJSIP/${number}@provider`);
    this.fake.setChannelState(this.trunk.uniqueid, '5');
  }

  answer(): this {
    this.fake.setChannelState(this.trunk.uniqueid, '6');
    this.fake.dialEnd(this.phone, this.trunk, 'ANSWER');
    this.fake.setChannelState(this.phone.uniqueid, '6');
    this.fake.bridgeEnter(`bridge-${this.phone.uniqueid}`, this.phone, 1);
    this.fake.bridgeEnter(`bridge-${this.phone.uniqueid}`, this.trunk, 2);
    return this;
  }

  hangUp(): void {
    this.calls.hangUp(this.trunk);
    this.calls.hangUp(this.phone);
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
