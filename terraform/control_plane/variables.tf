# Set by the rendered terraform.auto.tfvars (from envs/environments.yaml) ...
variable "system" {
  type        = string
  description = "Name of the system, the first part of every resource name."
}

variable "cost_center" {
  type        = string
  description = "CostCenter tag of every resource."
}

variable "region" {
  type        = string
  description = "The control region: the pipeline, the dashboard and the primary config store live here."
}

variable "environments" {
  type = list(object({
    name              = string
    region            = string
    approval_required = bool
    account_id        = optional(string)
    deployer_role_arn = optional(string)
  }))
  description = "The environments in promotion order, with their regions, whether promoting into them needs a manual approval and, for an env with an account of its own, that account and the deployer role the pipeline's builds and its scheduled drift check assume there."
}

variable "account_id" {
  type        = string
  default     = null
  description = "AWS account of the control plane; the provider refuses any other. null: the account the caller's credentials reach."

  validation {
    condition     = var.account_id == null || can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits, got ${jsonencode(var.account_id)}."
  }
}

variable "deployer_role_arn" {
  type        = string
  default     = null
  description = "Role in account_id the provider assumes to plan and apply the control plane. null: the caller's credentials as they are."

  validation {
    condition     = var.deployer_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.deployer_role_arn))
    error_message = "deployer_role_arn must be an IAM role ARN, got ${jsonencode(var.deployer_role_arn)}."
  }
}

variable "drift_schedule" {
  type        = string
  default     = null
  description = "EventBridge Scheduler expression of the drift check of every env (drift.schedule, e.g. \"rate(6 hours)\"); null: no schedule."

  validation {
    condition     = var.drift_schedule == null || can(regex("^(rate|cron|at)\\(.+\\)$", var.drift_schedule))
    error_message = "drift_schedule must be null, rate(...), cron(...) or at(...) (infrarep render checks it as Scheduler does), got ${jsonencode(var.drift_schedule)}."
  }
}

variable "soak_seconds" {
  type        = number
  description = "Minimum time a version runs in the second-to-last environment before the last (promotion.soak_minutes)."
}

variable "force_destroy" {
  type        = bool
  default     = false
  description = "Let terraform destroy buckets with their objects: false on real AWS; the local target's generated local_aws.auto.tfvars sets true."
}

# ... and by the release file `infrarep control-plane` passes for each run.
variable "release_version" {
  type        = string
  description = "Version being deployed (a git commit or --version); the Version tag."
}

variable "source_commit" {
  type        = string
  description = "Git commit of the configuration being deployed; the SourceCommit tag."
}
