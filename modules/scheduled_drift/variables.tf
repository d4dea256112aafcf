variable "name" {
  type        = string
  description = "Prefix of every name, e.g. \"infrarep-control\": the batch project and the schedule are <name>-scheduled-drift."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 of [a-z0-9-], starting with a letter, got \"${var.name}\"."
  }
}

variable "environments" {
  type = list(object({
    name   = string
    region = string
  }))
  description = "The environments in promotion order: one build of the batch each, in this order."

  validation {
    condition     = length(var.environments) >= 1 && length(distinct([for e in var.environments : e.name])) == length(var.environments)
    error_message = "environments must name each environment once, got ${jsonencode([for e in var.environments : e.name])}."
  }

  validation {
    condition     = alltrue([for e in var.environments : can(regex("^[a-z][a-z0-9-]{1,15}$", e.name))])
    error_message = "environment names are 2-16 of [a-z0-9-], got ${jsonencode([for e in var.environments : e.name])}."
  }
}

variable "deployer_role_arn" {
  type        = string
  description = "Role every check runs as (the role the pipeline's builds run terraform as); an env with an account of its own is reached from it, as infrarep assumes that env's role_arn."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.deployer_role_arn))
    error_message = "deployer_role_arn must be an IAM role ARN, got \"${var.deployer_role_arn}\"."
  }
}

variable "schedule_expression" {
  type        = string
  description = "EventBridge Scheduler expression the batch starts on, e.g. \"rate(6 hours)\" (environments.yaml's drift.schedule, checked there as Scheduler checks it). null: no schedule; the batch can still be started by hand."
  default     = null

  validation {
    condition     = var.schedule_expression == null || can(regex("^(rate|cron|at)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be null, rate(...), cron(...) or at(...), got ${jsonencode(var.schedule_expression)}."
  }
}

variable "source_bucket" {
  type = object({
    name = string
    arn  = string
  })
  description = "The config store holding the release bundle the builds check out."
}

variable "source_object_key" {
  type        = string
  description = "Key of the release bundle (a zip of the repository at one version) in source_bucket: the builds check the envs against the latest release."
  default     = "releases/source.zip"

  validation {
    condition     = endswith(var.source_object_key, ".zip") && !startswith(var.source_object_key, "/")
    error_message = "source_object_key must be a relative key of a .zip object, got \"${var.source_object_key}\"."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer-managed KMS key of the source bucket, the build logs and the builds' outputs."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, got \"${var.kms_key_arn}\"."
  }
}

variable "build_image" {
  type        = string
  description = "CodeBuild image of the builds (an arm64 image): the promotion pipeline's."
}

variable "build_timeout_minutes" {
  type        = number
  description = "Minutes one env's check may run before CodeBuild stops it; the batch may run as long."
  default     = 30

  validation {
    condition     = var.build_timeout_minutes >= 5 && var.build_timeout_minutes <= 480
    error_message = "build_timeout_minutes must be 5-480, got ${var.build_timeout_minutes}."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Days the builds' logs are kept (a retention CloudWatch Logs offers)."
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs offers (1, 3, 5, 7, 14, 30, ..., 365, ..., 3653), got ${var.log_retention_days}."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
