// Binds the linking Action to post-login. `owned` replaces the whole flow (linking first,
// then the configured extras); `additive` appends the linking Action to whatever is there.
import { Construct } from "constructs";
import { Action } from "../.gen/providers/auth0/action";
import { TriggerAction } from "../.gen/providers/auth0/trigger-action";
import { TriggerActions } from "../.gen/providers/auth0/trigger-actions";
import type { BindingMode, ExtraPostLoginAction } from "./config";

export interface PostLoginBindingProps {
  mode: BindingMode;
  action: Action;
  extraActions: ExtraPostLoginAction[];
}

export class PostLoginBinding extends Construct {
  readonly resource: TriggerActions | TriggerAction;

  constructor(scope: Construct, id: string, props: PostLoginBindingProps) {
    super(scope, id);
    if (props.mode === "owned") {
      this.resource = new TriggerActions(this, "binding", {
        trigger: "post-login",
        actions: [
          { id: props.action.id, displayName: props.action.name },
          ...props.extraActions.map((extra) => ({ id: extra.id, displayName: extra.displayName })),
        ],
      });
      this.resource.overrideLogicalId("post_login_binding");
    } else {
      this.resource = new TriggerAction(this, "binding", {
        trigger: "post-login",
        actionId: props.action.id,
        displayName: props.action.name,
      });
      this.resource.overrideLogicalId("post_login_binding_additive");
    }
  }
}
