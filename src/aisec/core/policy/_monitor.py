"""The ``monitor:`` and ``playbooks:`` sections (owned by aisec.monitor).

```yaml
monitor:
  interval_s: 60                 # aisec up runs the monitor this often; 0: only on demand
  detector:
    ratio: 10                    # the rise each CUSUM is tuned to detect (x the baseline)
    false_alarm_events: 1.0e8    # budget: mean events between false alarms of one series
    baseline_window_s: 21600     # rolling baseline: the last 6 hours of each series
  floors:                        # lowest baseline rate (per minute) a series is judged by
    requests: 0.5
  cooldown_s: 3600               # a new alarm within this time of an alert folds into it
  respond:                       # playbooks answering a rule; auto: start it on an alert
    - rule: monitor-failed-auth-burst
      playbook: rotate-keys
      auto: false
  sinks:
    webhook: {url: "https://hooks.example/aisec", secret_env: AISEC_WEBHOOK_SECRET}
    email: {host: smtp.example, port: 25, sender: aisec@example, to: [sec@example]}
playbooks:
  revoke-principal:
    approval: true               # a second person approves before the steps run
    params: {principal: {required: true}}
    steps:
      - {name: revoke-api-keys, action: apikey.revoke-principal, with: {principal: "{principal}"}}
```
Both are trusted-only: a project's aisec.yaml arrives with the code and must neither
silence the monitor nor declare a playbook that revokes or rotates.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_NAME = r"^[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DetectorPolicy(_Strict):
    """The change-point detector every signal uses (a Poisson CUSUM)."""

    ratio: float = Field(
        default=10.0,
        gt=1.0,
        le=1000.0,
        description="Rise of a series' rate (x its baseline) each CUSUM is tuned to detect; "
        "it alarms for any sustained rise above (ratio-1)/ln(ratio) x the baseline.",
    )
    false_alarm_events: float = Field(
        default=1.0e8,
        ge=100.0,
        le=1.0e15,
        description="False-alarm budget: mean number of events of one series between false "
        "alarms while its rate stays at baseline; the threshold is ln of it (Lorden).",
    )
    baseline_window_s: int = Field(default=21600, ge=600, le=30 * 86400)
    bucket_s: int = Field(default=600, ge=10, le=86400)
    warmup_s: int = Field(
        default=3600,
        ge=0,
        le=30 * 86400,
        description="A new request, token or prompt series does not alarm before it has this "
        "much history of its own (failed logins and new models alarm from the start).",
    )


class FloorsPolicy(_Strict):
    """Lowest baseline rate, per minute, a series is judged by (new or quiet keys)."""

    requests: float = Field(default=0.5, gt=0)
    tokens: float = Field(
        default=0.125, gt=0, description="In units of 4x the key's mean tokens per request."
    )
    distinct_prompts: float = Field(default=0.5, gt=0)
    failed_auth: float = Field(default=2.0, gt=0)
    new_models: float = Field(default=0.05, gt=0)
    guard_blocks: float = Field(default=0.2, gt=0)
    registry_pulls: float = Field(default=0.05, gt=0, description="Per principal.")
    data_exports: float = Field(default=0.05, gt=0, description="Per principal.")


class BehaviourFloorsPolicy(_Strict):
    """Lowest baseline share a route's behaviour series is judged by."""

    block_rate: float = Field(default=0.01, gt=0, lt=1)
    refusal_rate: float = Field(default=0.02, gt=0, lt=1)
    tool_share: float = Field(default=0.01, gt=0, lt=1)


class BehaviourPolicy(_Strict):
    """Model-behaviour signals per route (block, refusal and tool shares; answer length),
    with the detector's false-alarm budget and baseline window."""

    ratio: float = Field(
        default=4.0,
        gt=1.0,
        le=100.0,
        description="Rise of a share (x its baseline, at most halfway to 1) each Bernoulli "
        "CUSUM is tuned to detect.",
    )
    shift_sigma: float = Field(
        default=1.0,
        gt=0.0,
        le=10.0,
        description="Shift of the mean log answer length, in baseline deviations, the "
        "two-sided CUSUM is tuned to detect.",
    )
    min_trials: int = Field(
        default=200,
        ge=10,
        le=10_000_000,
        description="A route's series do not alarm before its baseline window holds this "
        "many requests.",
    )
    baseline_gap_s: int = Field(
        default=3600,
        ge=0,
        le=7 * 86400,
        description="The newest part of the baseline window left out of the baseline, so a "
        "change has this long to be found before it becomes its own norm.",
    )
    floors: BehaviourFloorsPolicy = Field(default_factory=BehaviourFloorsPolicy)


class PipelinePolicy(_Strict):
    """Pipeline and supply-chain signals, checked on each monitor run: stored findings of
    ``aisec data check``, registry versions in a stage whose signature no longer verifies,
    pinned dependencies newly vulnerable in a refreshed OSV export, keys past rotation."""

    data_check_min_severity: str = Field(
        default="medium",
        pattern=r"^(info|low|medium|high|critical)$",
        description="The least severe data check finding that raises an alert.",
    )
    signatures: bool = True
    signature_interval_s: int = Field(
        default=3600,
        ge=0,
        le=30 * 86400,
        description="Re-verify staged versions' signatures at most this often (0: every run); "
        "each check reads the versions' blobs back.",
    )
    keys: bool = Field(default=True, description="Alert on keyring keys past rotation_days.")
    osv_db: str | None = Field(
        default=None,
        max_length=4096,
        description="An unpacked OSV export (folder); checked again whenever it changes.",
    )
    manifests: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Dependency manifests or lock files whose pinned versions are checked.",
    )


class RespondRule(_Strict):
    rule: str = Field(min_length=3, max_length=100)
    playbook: str = Field(min_length=1, max_length=100, pattern=_NAME)
    auto: bool = Field(
        default=False,
        description="Start the playbook when such an alert opens (with the cool-down; a "
        "playbook that needs approval waits for it).",
    )


class WebhookSink(_Strict):
    url: str = Field(min_length=8, max_length=2000)
    secret_env: str = Field(
        default="AISEC_WEBHOOK_SECRET",
        pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="Environment variable holding the HMAC-SHA256 key (never the policy).",
    )
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    retries: int = Field(default=4, ge=0, le=10)
    backoff_s: float = Field(
        default=0.5, ge=0, le=60, description="First retry delay; doubles each retry (+jitter)."
    )


class EmailSink(_Strict):
    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = Field(min_length=3, max_length=320)
    to: list[str] = Field(min_length=1, max_length=50)
    starttls: bool = False
    username_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    password_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    timeout_s: float = Field(default=10.0, gt=0, le=120)


class SinksPolicy(_Strict):
    log: bool = Field(default=True, description="One line per new alert on stderr.")
    webhook: WebhookSink | None = None
    email: EmailSink | None = None


class MonitorPolicy(_Strict):
    """Signals, alerts and their sinks."""

    interval_s: int = Field(default=60, ge=0, le=86400)
    detector: DetectorPolicy = Field(default_factory=DetectorPolicy)
    floors: FloorsPolicy = Field(default_factory=FloorsPolicy)
    behaviour: BehaviourPolicy = Field(default_factory=BehaviourPolicy)
    pipeline: PipelinePolicy = Field(default_factory=PipelinePolicy)
    cooldown_s: int = Field(default=3600, ge=0, le=30 * 86400)
    respond: list[RespondRule] | None = Field(
        default=None, description="Playbooks answering rules; none: the built-in mapping."
    )
    sinks: SinksPolicy = Field(default_factory=SinksPolicy)


class PlaybookParam(_Strict):
    required: bool = False
    default: str | None = Field(default=None, max_length=1000)
    description: str = ""


class PlaybookStep(_Strict):
    name: str = Field(min_length=1, max_length=100, pattern=_NAME)
    action: str = Field(min_length=1, max_length=100, pattern=_NAME)
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")


class PlaybookPolicy(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    description: str = ""
    approval: bool = Field(
        default=False, description="A second principal must approve a run before it acts."
    )
    params: dict[str, PlaybookParam] = Field(default_factory=dict)
    steps: list[PlaybookStep] = Field(min_length=1, max_length=50)
