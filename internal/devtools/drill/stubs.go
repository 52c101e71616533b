package main

import "context"

func runRestore(ctx context.Context, e *env, args []string) (*report, error) { return nil, nil }
func runChaos(ctx context.Context, e *env, args []string) (*report, error)   { return nil, nil }
