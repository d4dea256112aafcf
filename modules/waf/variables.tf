variable "name" {
  type        = string
  description = "Name of the web ACL, e.g. \"infrarep-prod-payments\"; also prefixes its metric names, and its log group is aws-waf-logs-<name>."

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,100}$", var.name))
    error_message = "name must be 1-100 of [a-zA-Z0-9_-], got \"${var.name}\"."
  }
}

variable "stage_arn" {
  type        = string
  description = "ARN of the API Gateway REST API stage the web ACL protects (WAF cannot protect HTTP API stages)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:apigateway:[a-z0-9-]+::/restapis/[a-zA-Z0-9]+/stages/[a-zA-Z0-9_-]+$", var.stage_arn))
    error_message = "stage_arn must be a REST API stage ARN (arn:aws:apigateway:<region>::/restapis/<id>/stages/<name>), got \"${var.stage_arn}\"."
  }
}

variable "rate_limit" {
  type        = number
  description = "Requests one client IP may send within the 60-second evaluation window before it is blocked (answered 429) until its rate drops."

  validation {
    condition     = var.rate_limit >= 100 && var.rate_limit <= 2000000000 && floor(var.rate_limit) == var.rate_limit
    error_message = "rate_limit must be a whole number of requests from 100 to 2000000000, got ${var.rate_limit}."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key that encrypts the WAF log group."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, got \"${var.kms_key_arn}\"."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
