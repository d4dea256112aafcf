data "aws_region" "current" {}

# Zones pinned by name (<region>a, b, ...): the set never grows when AWS adds a zone, and an
# impaired zone fails the plan instead of quietly moving subnets elsewhere.
data "aws_availability_zones" "pinned" {
  filter {
    name   = "zone-name"
    values = [for letter in slice(["a", "b", "c", "d", "e", "f"], 0, var.az_count) : "${data.aws_region.current.region}${letter}"]
  }
}

locals {
  azs = sort(data.aws_availability_zones.pinned.names)
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = var.name_prefix })
}

# No rules: nothing may use the default security group.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-default-unused" })
}

resource "aws_subnet" "private" {
  for_each = { for index, az in local.azs : az => index }

  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = cidrsubnet(var.vpc_cidr, 4, each.value)

  tags = merge(var.tags, { Name = "${var.name_prefix}-private-${each.key}", Tier = "private" })
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-private" })
}

resource "aws_route_table_association" "private" {
  for_each = aws_subnet.private

  subnet_id      = each.value.id
  route_table_id = aws_route_table.private.id
}

resource "aws_vpc_endpoint" "gateway" {
  for_each = toset(["s3", "dynamodb"])

  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.region}.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name_prefix}-endpoints"
  description = "HTTPS from inside the VPC to the interface endpoints"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  security_group_id = aws_security_group.endpoints.id
  description       = "HTTPS from the VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.vpc_cidr
}

resource "aws_vpc_endpoint" "interface" {
  for_each = toset(var.interface_endpoints)

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${data.aws_region.current.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [for subnet in aws_subnet.private : subnet.id]
  security_group_ids  = [aws_security_group.endpoints.id]

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })
}

# The functions' security group: out to the endpoints only (443 inside the VPC, and the
# gateway endpoints' prefix lists); nothing comes in.
resource "aws_security_group" "functions" {
  #checkov:skip=CKV2_AWS_5:attached to every Lambda function through the function_security_group_id output (modules/lambda_function vpc_config)
  name        = "${var.name_prefix}-functions"
  description = "Lambda functions: HTTPS to the VPC endpoints only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-functions" })
}

resource "aws_vpc_security_group_egress_rule" "functions_to_interface_endpoints" {
  security_group_id = aws_security_group.functions.id
  description       = "HTTPS to the interface endpoints"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.vpc_cidr
}

resource "aws_vpc_security_group_egress_rule" "functions_to_gateway_endpoints" {
  for_each = aws_vpc_endpoint.gateway

  security_group_id = aws_security_group.functions.id
  description       = "HTTPS to ${each.key} through its gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = each.value.prefix_list_id
}
