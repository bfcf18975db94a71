import { Button, Dialog, DialogBody, DialogFooter, Intent, type IconName } from "@blueprintjs/core";
import type { ReactNode } from "react";

/**
 * A titled yes/no question (Blueprint's Alert has no accessible name: axe flags it). The title
 * names the dialog; confirming runs `onConfirm`, the caller closes it when the call is done.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  icon: IconName;
  confirmText: string;
  loading?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  return (
    <Dialog isOpen={props.open} onClose={props.onCancel} title={props.title} icon={props.icon}>
      <DialogBody>{props.children}</DialogBody>
      <DialogFooter
        actions={
          <>
            <Button text="Cancel" onClick={props.onCancel} />
            <Button intent={Intent.DANGER} text={props.confirmText} loading={props.loading ?? false} onClick={props.onConfirm} />
          </>
        }
      />
    </Dialog>
  );
}
