import { Button } from "@blueprintjs/core";
import { useState } from "react";
import { itemProposal } from "./data";
import { SubmitBlueprintDialog, SubmitEntityDialog } from "./SubmitDialogs";

type ProposableItem = Parameters<typeof itemProposal>[0];

/** "Propose to the commons" for one of the org's own items: the submission form, filled in
 * from the item, for the member to check, cite a source and send for review. */
export function ProposeItemButton({ orgId, item }: { orgId: string; item: ProposableItem }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button small minimal icon="upload" text="Propose" aria-label={`Propose ${item.name} to the commons`} onClick={() => setOpen(true)} />
      {open && <SubmitEntityDialog orgId={orgId} kind="item" prefill={itemProposal(item)} onClose={() => setOpen(false)} />}
    </>
  );
}

/** "Propose to the commons" for one of the org's own blueprints. */
export function ProposeBlueprintButton({ orgId, blueprintId }: { orgId: string; blueprintId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button small icon="upload" text="Propose to the commons" onClick={() => setOpen(true)} />
      {open && <SubmitBlueprintDialog orgId={orgId} open initial={blueprintId} onClose={() => setOpen(false)} />}
    </>
  );
}
