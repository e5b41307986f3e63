import pg from "pg";

/**
 * The floor under pickup from another process, measured with bare `pg` clients: one inserts a row
 * and NOTIFYs in the same statement (a durable commit, as an enqueue must be), a listener hears it
 * and a third connection takes the row with an UPDATE … RETURNING (a second durable commit, as a
 * claim is). Paced like the pickup bench, so both sides wake from the same idle. Returns the
 * latencies (ms) from sending the insert to the UPDATE's reply; tickflow's cross-process pickup is
 * reported next to their median.
 */
export async function rawPickupLatencies(url: string, schema: string, samples: number): Promise<number[]> {
  const connect = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return client;
  };
  const [enqueuer, listener, claimer] = await Promise.all([connect(), connect(), connect()]);
  const table = `${pg.escapeIdentifier(schema)}.raw_pickup`;
  const channel = `${schema}_raw_pickup`;
  try {
    await enqueuer.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
    await enqueuer.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, state text NOT NULL)`);
    await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    const latencies: number[] = [];
    let sentAt = 0;
    let taken: () => void = () => {};
    listener.on("notification", (n) => {
      void claimer
        .query({
          name: "raw_claim",
          text: `UPDATE ${table} SET state = 'running' WHERE id = $1 AND state = 'available' RETURNING id`,
          values: [n.payload],
        })
        .then(() => {
          latencies.push(performance.now() - sentAt);
          taken();
        });
    });
    for (let i = 0; i < samples; i++) {
      const took = new Promise<void>((resolve) => (taken = resolve));
      sentAt = performance.now();
      await enqueuer.query({
        name: "raw_enqueue",
        text: `WITH i AS (INSERT INTO ${table} (state) VALUES ('available') RETURNING id)
SELECT pg_notify($1, id::text) FROM i`,
        values: [channel],
      });
      await took;
      await new Promise((resolve) => setTimeout(resolve, 20)); // 50 jobs/s, as the pickup bench
    }
    return latencies;
  } finally {
    await Promise.all([enqueuer.end(), listener.end(), claimer.end()]);
  }
}
