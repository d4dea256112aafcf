# Completed at init by the rendered backend.hcl: `terraform init -backend-config=backend.hcl`.
terraform {
  backend "s3" {}
}
