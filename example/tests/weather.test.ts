import { afterEach, beforeEach, expect, test } from "vitest";
import { api } from "../convex/_generated/api";
import { flakiness } from "../convex/weather";
import { setup } from "./setup";
import { installClock, type Clock } from "convex-jobs/test";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
});
afterEach(() => clock.uninstall());

test("flaky weather API: retried with backoff until it answers; unknown cities stop at once", async () => {
  const t = setup();
  const cities = ["Oslo", "Lima", "Cairo", "Quito", "Atlantis"];
  const runIds = [];
  for (const city of cities) runIds.push(await t.mutation(api.weather.fetchWeather, { city }));
  await clock.drain();
  const reports = await t.query(api.weather.reports, {});
  for (const [i, city] of cities.entries()) {
    const row = reports.find((r) => r.city === city)!;
    const status = await t.query(api.weather.runStatus, { runId: runIds[i] });
    if (city === "Atlantis") {
      expect(row).toMatchObject({ status: "failed", error: "unknown city: Atlantis" });
      expect(status).toMatchObject({ attempt: 1, result: { kind: "failed", data: { status: 404 } } });
    } else {
      expect(row).toMatchObject({ status: "done", tempC: (city.length * 7) % 35 });
      expect(status).toMatchObject({ state: "finished", attempt: flakiness(city) + 1 });
    }
  }
  expect(cities.some((c) => flakiness(c) > 0)).toBe(true);
});
