variable "name" {
  type        = string
  description = "Name of the dashboard, e.g. \"infrarep-drift\"."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.name))
    error_message = "name must be 1-255 of [A-Za-z0-9_-], got \"${var.name}\"."
  }
}

variable "environments" {
  type = list(object({
    name              = string
    region            = string
    ledger_table_name = string
    alarm_names       = list(string)
  }))
  description = "The environments in promotion order, each with its region (where its metrics and alarms live), its ledger table and the alarms to show. Neighbours in this order are the parity pairs."

  validation {
    condition     = length(var.environments) >= 1 && length(distinct([for e in var.environments : e.name])) == length(var.environments)
    error_message = "environments must name each environment once, got ${jsonencode([for e in var.environments : e.name])}."
  }

  validation {
    condition     = alltrue([for e in var.environments : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", e.region))])
    error_message = "each environment needs an AWS region such as \"us-west-2\", got ${jsonencode([for e in var.environments : e.region])}."
  }
}

variable "pipeline" {
  type = object({
    name   = string
    region = string
  })
  description = "The promotion pipeline the dashboard links to."
}

variable "metrics_namespace" {
  type        = string
  description = "CloudWatch namespace infrarep publishes DriftDetected and EnvironmentUpdate in."
  default     = "Infrarep"
}

variable "period_seconds" {
  type        = number
  description = "Period of every metric on the dashboard."
  default     = 300

  validation {
    condition     = contains([60, 300, 900, 3600, 21600, 86400], var.period_seconds)
    error_message = "period_seconds must be one of 60, 300, 900, 3600, 21600, 86400, got ${var.period_seconds}."
  }
}
