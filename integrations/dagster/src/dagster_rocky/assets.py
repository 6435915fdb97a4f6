"""Dagster assets from a Rocky repository: a source asset per table that no
model builds, and one asset per model, with dependencies from Rocky's own
lineage and data versions that are Rocky table ids."""


import hashlib
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Optional, Sequence, Union

import dagster as dg

from .checks import ModelChecks, governed_environments, read_model_checks
from .errors import RockyError
from .resource import RockyModel, RockyResource

ROW_COUNT_CHECK = "row_count"


def code_version(model: RockyModel) -> str:
    """The hash of the model's compiled SQL (what `rocky run` executes)."""
    text = "\n".join(model.sql) if model.sql else model.source
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def governance_check_name(environment: str) -> str:
    return f"no_denied_columns_{environment}"


@dataclass(frozen=True)
class _Plan:
    """What the factory read from the repository at definition time."""

    models: list[RockyModel]
    sources: dict[str, dict[str, Any]]
    checks: dict[str, ModelChecks]
    environments: list[str]


def _key(prefix: Sequence[str], table: str) -> dg.AssetKey:
    return dg.AssetKey([*prefix, table])


def column_schema(columns: Sequence[Mapping[str, Any]], classifications: Mapping[str, Optional[str]]) -> dg.TableSchema:
    """`dagster/column_schema`: each column's type, nullability and governance classification."""
    out = []
    for c in columns:
        name = str(c["name"])
        classification = classifications.get(name)
        if classification is None and isinstance(c.get("governance"), Mapping):
            classification = c["governance"].get("classification")
        tags = {"classification": str(classification)} if classification else {}
        out.append(dg.TableColumn(name=name, type=str(c.get("type", "")),
                                  description=f"classification: {classification}" if classification else None,
                                  constraints=dg.TableColumnConstraints(nullable=bool(c.get("nullable", True))),
                                  tags=tags))
    return dg.TableSchema(columns=out)


def column_lineage(lineage: Mapping[str, Any], prefix: Sequence[str]) -> dg.TableColumnLineage:
    """`dagster/column_lineage` from a transformation's (or a compiled model's) lineage."""
    deps: dict[str, list[dg.TableColumnDep]] = {}
    for column in lineage.get("columns", []):
        seen: list[dg.TableColumnDep] = []
        for edge in column.get("inputs", []):
            dep = dg.TableColumnDep(asset_key=_key(prefix, str(edge["table"])), column_name=str(edge["column"]))
            if dep not in seen:
                seen.append(dep)
        deps[str(column["name"])] = seen
    return dg.TableColumnLineage(deps_by_column=deps)


def transformation_summary(t: Mapping[str, Any]) -> str:
    """A link-free text summary of one transformation."""
    lines = [str(t.get("statement", "")).strip(), ""]
    inputs = t.get("input_tables") or {}
    outputs = t.get("output_tables") or {}
    lines.append("reads: " + (", ".join(f"{name} ({tid[:12]})" for name, tid in inputs.items()) or "nothing"))
    lines.append("writes: " + ", ".join(f"{name} ({tid[:12]}, {t.get('rows_written', '?')} rows)" for name, tid in outputs.items()))
    duration_ms = (t.get("duration_us") or 0) / 1000
    lines.append(f"engine {t.get('engine', '?')} {t.get('engine_version', '')}, environment {t.get('environment', '?')}, "
                 f"{duration_ms:.1f} ms, cost {t.get('cost', '0')} {t.get('currency', '')}".rstrip())
    columns = (t.get("lineage") or {}).get("columns", [])
    if columns:
        lines.append("columns:")
        for c in columns:
            sources = ", ".join(f"{e['table']}.{e['column']} ({e.get('type', '')} {str(e.get('subtype', '')).lower()})"
                                for e in c.get("inputs", []))
            mark = f" [{c['classification']}]" if c.get("classification") else ""
            lines.append(f"  {c['name']}{mark} <- {sources or '(constant)'}")
    return "\n".join(lines)


def _read_plan(rocky: RockyResource, revision: Optional[str]) -> _Plan:
    models = rocky.models()
    built = {m.name.lower() for m in models}
    tables = rocky.tables(revision)
    sources = {name: t for name, t in tables.items() if name.lower() not in built}
    # Tables a model reads that no model builds are sources even when the
    # revision does not hold them yet (an ingest creates them).
    for m in models:
        for table in m.input_tables:
            if table.lower() not in built and table not in sources:
                sources[table] = {"name": table}
    checks = {m.name: read_model_checks(rocky.repository, m.name) for m in models}
    return _Plan(models, sources, checks, governed_environments(rocky.repository))


def build_rocky_assets(
    rocky: RockyResource,
    *,
    resource_key: str = "rocky",
    key_prefix: Sequence[str] = (),
    group_name: Optional[str] = "rocky",
    isolate_runs: bool = False,
    base_branch: str = "main",
    branch_prefix: str = "dagster/",
    name: str = "rocky_models",
) -> list[Union[dg.AssetsDefinition, dg.SourceAsset]]:
    """The repository's tables and models as Dagster assets.

    - every table that no model builds is an observable source asset whose
      data version is its Rocky table id;
    - every model is an asset (one subsettable multi-asset runs the selected
      ones with one `rocky run`), depending on the tables its SQL reads; its
      code version is the hash of the compiled SQL and each materialization's
      data version is the table id it produced. A model whose code version
      and input table ids are those of its last materialization (and whose
      table is still the one it produced) is not run again;
    - checks: `row_count` and `[[sql]]` checks of `models/<model>.checks.toml`,
      and per environment rocky.toml declares besides dev a blocking
      `no_denied_columns_<env>` check.

    With `isolate_runs`, a Dagster run works on its own branch
    (`<branch_prefix><run id>`) created from `base_branch`, which is merged
    into `base_branch` (by compare-and-swap; a conflict fails the run and
    writes nothing) only when no blocking check failed; a failed run's
    branch is deleted (audited under the run id).
    """
    prefix = list(key_prefix)
    plan = _read_plan(rocky, base_branch if isolate_runs else None)
    model_names = {m.name.lower(): m.name for m in plan.models}
    key_of = {m.name: _key(prefix, m.name) for m in plan.models}

    out: list[Union[dg.AssetsDefinition, dg.SourceAsset]] = []
    for table in sorted(plan.sources):
        out.append(_source_asset(table, prefix, group_name, resource_key, base_branch if isolate_runs else None))

    specs = []
    check_specs = []
    for m in plan.models:
        deps = [_key(prefix, model_names.get(t.lower(), t)) for t in m.input_tables]
        classifications = {c["name"]: c.get("classification") for c in m.lineage.get("columns", [])}
        metadata: dict[str, Any] = {"rocky/file": m.file}
        if m.columns:
            metadata["dagster/column_schema"] = column_schema(m.columns, classifications)
        if m.sql:
            metadata["rocky/sql"] = dg.MetadataValue.md("```sql\n" + ";\n".join(m.sql) + "\n```")
        specs.append(dg.AssetSpec(key=key_of[m.name], deps=deps, code_version=code_version(m),
                                  description=m.description or f"Rocky model {m.file}", group_name=group_name,
                                  metadata=metadata, kinds={"rocky", "sql"}, skippable=True))
        checks = plan.checks[m.name]
        if checks.has_row_count:
            check_specs.append(dg.AssetCheckSpec(ROW_COUNT_CHECK, asset=key_of[m.name], blocking=True,
                                                 description=f"rows between {checks.row_count_min} and {checks.row_count_max}"))
        for s in checks.sql:
            check_specs.append(dg.AssetCheckSpec(s.name, asset=key_of[m.name], blocking=s.blocking,
                                                 description=s.description or s.query))
        for env in plan.environments:
            check_specs.append(dg.AssetCheckSpec(governance_check_name(env), asset=key_of[m.name], blocking=True,
                                                 description=f"no column that environment {env} denies reaches the output"))

    if not plan.models:
        return out

    @dg.multi_asset(name=name, specs=specs, check_specs=check_specs, can_subset=True,
                    required_resource_keys={resource_key})
    def _models(context: dg.AssetExecutionContext) -> Iterator[Any]:
        resource: RockyResource = getattr(context.resources, resource_key)
        with resource.working_directory():
            yield from _materialize(context, resource, plan, prefix, key_of, isolate_runs, base_branch,
                                    branch_prefix)

    out.append(_models)
    return out


def _source_asset(table: str, prefix: Sequence[str], group_name: Optional[str], resource_key: str,
                  revision: Optional[str]) -> dg.SourceAsset:
    @dg.observable_source_asset(key=_key(prefix, table), group_name=group_name,
                                required_resource_keys={resource_key},
                                description=f"Rocky table {table}: its data version is the table id")
    def _observe(context: dg.AssetExecutionContext) -> dg.ObserveResult:
        resource: RockyResource = getattr(context.resources, resource_key)
        t = resource.tables(revision).get(table)
        if t is None:
            raise dg.Failure(f"table {table} is not in the repository" + (f" at {revision}" if revision else ""))
        return dg.ObserveResult(data_version=dg.DataVersion(str(t["id"])),
                                metadata={"dagster/row_count": dg.MetadataValue.int(int(t["rows"])),
                                          "rocky/table_id": dg.MetadataValue.text(str(t["id"]))})

    return _observe


def _last_materialization(context: dg.AssetExecutionContext, key: dg.AssetKey) -> Optional[dict[str, Any]]:
    event = context.instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        return None
    return {k: getattr(v, "value", v) for k, v in event.asset_materialization.metadata.items()}


def _unchanged(context: dg.AssetExecutionContext, model: RockyModel, key: dg.AssetKey,
               tables: Mapping[str, Mapping[str, Any]]) -> bool:
    last = _last_materialization(context, key)
    if not last or last.get("rocky/code_version") != code_version(model):
        return False
    current = tables.get(model.name)
    if current is None or current.get("id") != last.get("rocky/table_id"):
        return False
    recorded = last.get("rocky/inputs") or {}
    return all(tables.get(t, {}).get("id") == recorded.get(t) for t in model.input_tables)


def _materialize(context: dg.AssetExecutionContext, rocky: RockyResource, plan: _Plan, prefix: Sequence[str],
                 key_of: Mapping[str, dg.AssetKey], isolate: bool, base_branch: str,
                 branch_prefix: str) -> Iterator[Any]:
    run_id = context.run_id
    log = context.log
    selected = [m for m in plan.models if key_of[m.name] in context.selected_asset_keys]
    original = rocky.current_branch(log=log)
    branch: str = f"{branch_prefix}{run_id}" if isolate else (original or base_branch)
    if isolate:
        if branch in rocky.branches(log=log):  # a retried step: the run's own branch
            rocky.checkout(branch, log=log)
        else:
            rocky.checkout(branch, create_from=base_branch, log=log)
    try:
        before = rocky.tables(log=log)
        to_run: list[RockyModel] = []
        skipped: set[str] = set()
        for m in selected:
            upstream_runs = any(t in {r.name for r in to_run} for t in m.input_tables)
            if not upstream_runs and _unchanged(context, m, key_of[m.name], before):
                skipped.add(m.name)
                log.info(f"{m.name}: code version and input table ids unchanged; not run again")
            else:
                to_run.append(m)
        doc: dict[str, Any] = {}
        if to_run:
            doc = rocky.run_models([m.name for m in to_run], log=log,
                                   message=f"dagster run {run_id}: {', '.join(m.name for m in to_run)}")
        after = rocky.tables(log=log)
        commit = doc.get("commit")
        commit_id = commit.get("id") if isinstance(commit, Mapping) else commit
        by_target: dict[str, Mapping[str, Any]] = {}
        for t in doc.get("transformations", []):
            for name in (t.get("output_tables") or {}):
                by_target[name] = t
        check_results = list(_evaluate_checks(context, rocky, plan, selected, key_of, after))
        failed_blocking = [r for r in check_results if not r.passed and _blocking(context, r)]
        merged: Optional[dict[str, Any]] = None
        if isolate and not failed_blocking:
            merged = rocky.merge(branch, into=base_branch, log=log, message=f"dagster run {run_id}")
            final = rocky.tables(base_branch, log=log)
        else:
            final = after
        for m in to_run:
            t = by_target.get(m.name)
            table = final.get(m.name) or after.get(m.name)
            if t is None or table is None or failed_blocking:
                continue
            yield dg.MaterializeResult(asset_key=key_of[m.name], data_version=dg.DataVersion(str(table["id"])),
                                       metadata=_metadata(m, t, table, before, prefix, commit_id,
                                                          base_branch if merged else branch, merged))
        for result in check_results:
            yield result
        if failed_blocking:
            names = ", ".join(f"{_label(r)}:{r.check_name}" for r in failed_blocking)
            raise dg.Failure(description=f"blocking checks failed ({names}); nothing was merged into {base_branch}"
                             if isolate else f"blocking checks failed: {names}",
                             metadata={"failed_checks": dg.MetadataValue.json(
                                 [{"asset": _label(r), "check": r.check_name,
                                   "description": r.description} for r in failed_blocking])})
        if isolate:
            rocky.checkout(original or base_branch, log=log)
            rocky.cli(["branch", "-d", branch], log=log)
    except BaseException:
        if isolate:
            _roll_back(rocky, run_id, original or base_branch, log)
        raise


def _roll_back(rocky: RockyResource, run_id: str, original: str, log: Any) -> None:
    try:
        status = rocky.cli(["status"], log=log)
        if status.get("branch") != original:
            rocky.cli(["checkout", "--force", original], log=log)
        for line in rocky.rollback(run_id, log=log):
            log.info(f"rollback: {line}")
    except RockyError as exc:  # report, but keep the run's own failure
        log.error(f"rollback failed: {exc}")


def _label(result: dg.AssetCheckResult) -> str:
    return result.asset_key.to_user_string() if result.asset_key is not None else "?"


def _blocking(context: dg.AssetExecutionContext, result: dg.AssetCheckResult) -> bool:
    """Whether the check's spec is blocking (a result always names its asset and check here)."""
    if result.asset_key is None or result.check_name is None:
        return True
    spec = context.assets_def.get_spec_for_check_key(dg.AssetCheckKey(result.asset_key, result.check_name))
    return bool(getattr(spec, "blocking", True))


def _metadata(m: RockyModel, t: Mapping[str, Any], table: Mapping[str, Any], before: Mapping[str, Mapping[str, Any]],
              prefix: Sequence[str], commit_id: Optional[str], branch: Optional[str],
              merged: Optional[Mapping[str, Any]]) -> dict[str, Any]:
    lineage = t.get("lineage") or m.lineage
    classifications = {c["name"]: c.get("classification") for c in lineage.get("columns", [])}
    inputs = {name: str(tid) for name, tid in (t.get("input_tables") or {}).items()}
    cost = t.get("cost")
    md: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(int(table.get("rows", t.get("rows_written", 0)))),
        "dagster/column_schema": column_schema(m.columns, classifications),
        "dagster/column_lineage": column_lineage(lineage, prefix),
        "rocky/table_id": dg.MetadataValue.text(str(table["id"])),
        "rocky/code_version": dg.MetadataValue.text(code_version(m)),
        "rocky/inputs": dg.MetadataValue.json(inputs),
        "rocky/commit": dg.MetadataValue.text(str(merged.get("new_head")) if merged else str(commit_id or "")),
        "rocky/branch": dg.MetadataValue.text(str(branch or "")),
        "rocky/engine": dg.MetadataValue.text(f"{t.get('engine', '')} {t.get('engine_version', '')}".strip()),
        "rocky/duration_ms": dg.MetadataValue.float((t.get("duration_us") or 0) / 1000),
        "rocky/cost": dg.MetadataValue.float(float(cost) if cost is not None else 0.0),
        "rocky/currency": dg.MetadataValue.text(str(t.get("currency") or "")),
        "rocky/transformation": dg.MetadataValue.text(transformation_summary(t)),
    }
    if merged:
        md["rocky/run_commit"] = dg.MetadataValue.text(str(commit_id or ""))
    return md


def _evaluate_checks(context: dg.AssetExecutionContext, rocky: RockyResource, plan: _Plan,
                     selected: Sequence[RockyModel], key_of: Mapping[str, dg.AssetKey],
                     tables: Mapping[str, Mapping[str, Any]]) -> Iterator[dg.AssetCheckResult]:
    wanted = set(context.selected_asset_check_keys)
    governance: dict[str, dict[str, Any]] = {}
    for env in plan.environments:
        if not any(dg.AssetCheckKey(key_of[m.name], governance_check_name(env)) in wanted for m in selected):
            continue
        try:
            doc = rocky.cli(["check"], environment=env, log=context.log)
        except RockyError as exc:
            if "files" not in exc.document:
                raise
            doc = exc.document
        governance[env] = {f["model"]: f for f in doc.get("files", [])}
    for m in selected:
        key = key_of[m.name]
        checks = plan.checks[m.name]
        table = tables.get(m.name)
        if dg.AssetCheckKey(key, ROW_COUNT_CHECK) in wanted:
            rows = int(table["rows"]) if table else None
            ok = rows is not None and (checks.row_count_min is None or rows >= checks.row_count_min) \
                and (checks.row_count_max is None or rows <= checks.row_count_max)
            yield dg.AssetCheckResult(asset_key=key, check_name=ROW_COUNT_CHECK, passed=bool(ok),
                                      metadata={"rows": dg.MetadataValue.int(rows if rows is not None else -1),
                                                "min": checks.row_count_min if checks.row_count_min is not None else "none",
                                                "max": checks.row_count_max if checks.row_count_max is not None else "none"},
                                      description=None if ok else f"{m.name} holds {rows} rows")
        for s in checks.sql:
            if dg.AssetCheckKey(key, s.name) not in wanted:
                continue
            doc = rocky.cli(["sql", s.query], log=context.log)
            results = doc.get("results") or [{}]
            rows_found = results[-1].get("rows") or []
            yield dg.AssetCheckResult(asset_key=key, check_name=s.name, passed=not rows_found,
                                      metadata={"violations": dg.MetadataValue.int(len(rows_found)),
                                                "sample": dg.MetadataValue.json(rows_found[:20])},
                                      description=None if not rows_found else f"{len(rows_found)} row(s) violate {s.name}")
        for env in plan.environments:
            check_key = dg.AssetCheckKey(key, governance_check_name(env))
            if check_key not in wanted:
                continue
            f = governance.get(env, {}).get(m.name, {})
            violations = [d.get("message", "") for d in f.get("diagnostics", [])
                          if d.get("severity") == "error" and str(d.get("code", "")).startswith("E05")]
            refused = bool(f.get("refused"))
            yield dg.AssetCheckResult(asset_key=key, check_name=governance_check_name(env), passed=not refused,
                                      metadata={"environment": env, "violations": dg.MetadataValue.json(violations)},
                                      description="; ".join(violations) if refused else None)
