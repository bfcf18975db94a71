import { HTMLSelect, MenuItem } from "@blueprintjs/core";
import { Suggest, type ItemPredicate, type ItemRenderer } from "@blueprintjs/select";
import type { Item, Location } from "@/lib/lookups";

const matchesItem: ItemPredicate<Item> = (query, item) => {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return (
    item.name.toLowerCase().includes(q) ||
    (item.code ?? "").toLowerCase().includes(q) ||
    (item.aliases ?? []).some((a) => a.alias.toLowerCase().includes(q))
  );
};

const renderItem: ItemRenderer<Item> = (item, { handleClick, handleFocus, modifiers }) =>
  modifiers.matchesPredicate ? (
    <MenuItem
      key={item.id}
      roleStructure="listoption"
      active={modifiers.active}
      text={item.name}
      label={item.unit === "piece" ? "piece" : "SCU"}
      onClick={handleClick}
      onFocus={handleFocus}
    />
  ) : null;

/** Search the catalogue by name, code or alias. */
export function ItemPicker(props: { id: string; items: Item[]; value: string; onChange: (id: string) => void }) {
  const selected = props.items.find((i) => i.id === props.value) ?? null;
  return (
    <Suggest<Item>
      items={props.items}
      selectedItem={selected}
      itemPredicate={matchesItem}
      itemRenderer={renderItem}
      inputValueRenderer={(i) => i.name}
      onItemSelect={(i) => props.onChange(i.id)}
      noResults={<MenuItem disabled text="No item matches" roleStructure="listoption" />}
      inputProps={{ id: props.id, placeholder: "Search items by name or alias…" }}
      popoverProps={{ minimal: true, matchTargetWidth: true }}
      resetOnClose={false}
      fill
    />
  );
}

/** A location by its path; `filter` narrows the choices (e.g. only the org's own places). */
export function LocationPicker(props: {
  id: string;
  locations: Location[];
  value: string;
  onChange: (id: string) => void;
  placeholder?: string;
}) {
  const options = [...props.locations].sort((a, b) => (a.path ?? a.name).localeCompare(b.path ?? b.name));
  return (
    <HTMLSelect id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)} fill>
      <option value="">{props.placeholder ?? "Choose a location…"}</option>
      {options.map((l) => (
        <option key={l.id} value={l.id}>
          {l.path ?? l.name}
        </option>
      ))}
    </HTMLSelect>
  );
}
