import { Card, H4, HTMLTable } from "@blueprintjs/core";
import { formatAuec, formatPercent, formatScu } from "@/lib/format";
import { locationLabel, type Location } from "@/lib/lookups";
import type { Explanation } from "./types";

/** The plan's trips per pickup location. "Fill" (SCU per trip as a share of the ship) only
 * when the plan was made with a ship capacity; otherwise a line says how to get it. */
export function TripsCard({
  trips,
  capacity,
  locations,
}: {
  trips: Explanation["trips"];
  capacity: number | null;
  locations: Map<string, Location>;
}) {
  return (
    <Card aria-label="Trips">
      <H4>Trips</H4>
      {trips.length === 0 ? (
        <p className="qm-muted">No trip needed: everything is at the delivery location.</p>
      ) : (
        <>
          <HTMLTable compact className="qm-table">
            <thead>
              <tr>
                <th>From</th>
                <th className="qm-num">Trips</th>
                <th className="qm-num">SCU</th>
                <th className="qm-num">SCU per trip</th>
                {capacity ? (
                  <th className="qm-num" title={`SCU per trip as a share of the plan's ship (${formatScu(capacity)})`}>
                    Fill
                  </th>
                ) : null}
                <th className="qm-num">Cost</th>
              </tr>
            </thead>
            <tbody>
              {trips.map((t) => {
                const perTrip = t.trips > 0 ? t.volume_scu / t.trips : 0;
                return (
                  <tr key={t.location}>
                    <td>{locationLabel(locations, t.location)}</td>
                    <td className="qm-num">{t.trips}</td>
                    <td className="qm-num">{formatScu(t.volume_scu)}</td>
                    <td className="qm-num">{formatScu(perTrip)}</td>
                    {capacity ? <td className="qm-num">{formatPercent(perTrip / capacity)}</td> : null}
                    <td className="qm-num">{formatAuec(t.cost)}</td>
                  </tr>
                );
              })}
            </tbody>
          </HTMLTable>
          {!capacity && (
            <p className="qm-muted">How full each trip runs shows when the plan is made with a ship capacity (“Ship capacity” on the new-plan form).</p>
          )}
        </>
      )}
    </Card>
  );
}
