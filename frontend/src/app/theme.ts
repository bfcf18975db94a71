import { Classes } from "@blueprintjs/core";
import { useEffect, useState } from "react";

export type Theme = "dark" | "light";
const KEY = "qm.theme";

/** Dark by default (players run it beside the game); the choice is remembered. */
export function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem(KEY) === "light" ? "light" : "dark"));
  useEffect(() => {
    document.body.classList.toggle(Classes.DARK, theme === "dark");
    document.body.classList.toggle("qm-light", theme === "light");
    localStorage.setItem(KEY, theme);
  }, [theme]);
  return [theme, setTheme];
}
