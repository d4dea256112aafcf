# Rendered by infrarep: `terraform init -backend-config=backend.hcl`. Do not edit.
# The same on every target: the local target adds local_backend.hcl (generated, not committed).
bucket       = "infrarep-tfstate-us-east-1"
key          = "dev/terraform.tfstate"
region       = "us-east-1"
encrypt      = true
use_lockfile = true
