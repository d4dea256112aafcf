# Rendered by infrarep for the `local` target only (beside local_override.tf). Do not edit;
# real-AWS targets never get this file.

variable "local_aws_endpoint" {
  type        = string
  description = "URL of the local AWS, e.g. https://127.0.0.1:4566; infrarep sets it as TF_VAR_local_aws_endpoint."
}
