import { Button, NonIdealState } from "@blueprintjs/core";
import { Component, type ReactNode } from "react";

/** No blank screens: a render error shows what happened and a way back. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    if (this.state.error) {
      return (
        <NonIdealState
          icon="error"
          title="This page failed to load"
          description={this.state.error.message}
          action={<Button text="Reload" onClick={() => window.location.reload()} />}
        />
      );
    }
    return this.props.children;
  }
}
