/**
 * What the field-mapping engine costs per delivery: shaping one published lead into the body a
 * webhook receives (JSON parse, mappings with JSONata, envelope, JSON encode), on one core.
 *
 *   node --import tsx bench/mappings.bench.ts
 */
import { OutboundShaper, type ShapeInput } from '../server/delivery/outbound.ts';
import type { Rule } from '../server/gateway/rules.ts';
import { RulesSchema } from '../server/gateway/rules.ts';

const event = {
  eventType: 'lead.captured',
  eventId: 'msg_01jtd8c1q2xh3n5r7t9v1w3y5z',
  eventTimestamp: '2026-05-03T14:22:08Z',
  customerId: 'cus_a1b2c3',
  chatbotId: 'bot_xyz',
  conversationId: 'conv_abc',
  data: { name: 'Jane Smith', email: 'Jane@Example.com', phone: '+15555550123', chatbot_name: 'Acme Plumbing Bot', intent: 'request_quote' },
};

const cases: { name: string; rules: Rule[] }[] = [
  { name: 'no mappings (all data, flat envelope)', rules: [] },
  {
    name: '4 path mappings',
    rules: RulesSchema.parse([{ type: 'transform', mappings: ['name', 'email', 'phone', 'intent'].map((f) => ({ to: f, from: `data.${f}` })) }]),
  },
  {
    name: '3 paths + 2 JSONata expressions',
    rules: RulesSchema.parse([
      {
        type: 'transform',
        mappings: [
          { to: 'name', from: 'data.name' },
          { to: 'phone', from: 'data.phone' },
          { to: 'intent', from: 'data.intent', default: 'unknown' },
          { to: 'email', expression: '$lowercase(data.email)' },
          { to: 'first_name', expression: '$substringBefore(data.name, " ")' },
        ],
      },
    ]),
  },
];

const shaper = new OutboundShaper();
const body = Buffer.from(JSON.stringify(event));
for (const c of cases) {
  const input: ShapeInput = {
    id: 'evt_x',
    workspace_id: 'tm_x',
    connection_id: `web_${c.name.length}`,
    connection_updated_at: new Date(0),
    source_type: 'APPLICATION',
    rules: c.rules,
    body,
    content_type: 'application/json',
    request: null,
  };
  for (let i = 0; i < 2000; i++) await shaper.shape(input); // warm up the JIT and the compiled-mapping cache
  const n = 50_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await shaper.shape(input);
  const us = Number(process.hrtime.bigint() - started) / 1000 / n;
  console.log(
    `${c.name.padEnd(40)} ${us.toFixed(1).padStart(6)} µs per event   ${Math.round(1e6 / us)
      .toLocaleString('en-US')
      .padStart(9)} events/s`,
  );
}
