# Rendered by infrarep: `terraform init -backend-config=backend.hcl`. Do not edit.
# The same on every target: the local target adds local_backend.hcl (generated, not committed).
bucket       = "infrarep-tfstate-eu-west-1"
key          = "prod/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
