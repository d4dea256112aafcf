variable "name" {
  type        = string
  description = "Name of the role, e.g. \"infrarep-dev-vpc-flow-logs\"."

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "name must be 1-64 of [a-zA-Z0-9+=,.@_-] (an IAM role name), got \"${var.name}\"."
  }
}

variable "assumed_by" {
  type        = list(string)
  description = "Service principals that may assume the role, e.g. [\"events.amazonaws.com\"]."

  validation {
    condition     = length(var.assumed_by) > 0 && alltrue([for s in var.assumed_by : can(regex("^[a-z0-9-]+(\\.[a-z0-9-]+)*\\.amazonaws\\.com$", s))])
    error_message = "assumed_by must name at least one service principal such as \"events.amazonaws.com\", got ${jsonencode(var.assumed_by)}."
  }
}

variable "inline_policies" {
  type        = map(string)
  description = "Inline policies of the role: policy name => policy JSON (an aws_iam_policy_document's json, written where the role is used)."
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.inline_policies) : can(regex("^[a-zA-Z0-9+=,.@_-]{1,128}$", name))])
    error_message = "inline_policies names must be 1-128 of [a-zA-Z0-9+=,.@_-], got ${jsonencode(keys(var.inline_policies))}."
  }
}

variable "managed_policy_arns" {
  type        = map(string)
  description = "Managed policies attached to the role: a key of the caller's choosing (it keeps the attachment's address when the ARN changes) => policy ARN."
  default     = {}

  validation {
    condition     = alltrue([for arn in values(var.managed_policy_arns) : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/", arn))])
    error_message = "managed_policy_arns values must be IAM policy ARNs, got ${jsonencode(values(var.managed_policy_arns))}."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
