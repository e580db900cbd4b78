// Binds the linking Actions to post-login. `owned` replaces the whole flow (linking first, then
// confirmation, then the configured extras); `additive` appends them to whatever is there.
import { Construct } from "constructs";
import { Action, TriggerAction, TriggerActions } from "./engine";
import type { BindingMode, ExtraPostLoginAction } from "./config";

export interface PostLoginBindingProps {
  mode: BindingMode;
  action: Action;
  /** Bound right after the linking Action (it redirects for the Form's "Sign in to link"). */
  confirmationAction?: Action;
  extraActions: ExtraPostLoginAction[];
}

export class PostLoginBinding extends Construct {
  readonly resource: TriggerActions | TriggerAction;
  /** Additive mode: the confirmation Action's own binding, appended after the linking Action's. */
  readonly confirmationResource?: TriggerAction;

  constructor(scope: Construct, id: string, props: PostLoginBindingProps) {
    super(scope, id);
    if (props.mode === "owned") {
      this.resource = new TriggerActions(this, "binding", {
        trigger: "post-login",
        actions: [
          { id: props.action.id, displayName: props.action.name },
          ...(props.confirmationAction ? [{ id: props.confirmationAction.id, displayName: props.confirmationAction.name }] : []),
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
      if (props.confirmationAction) {
        // Auth0 appends each binding at the end: created after the linking Action's, it runs after it.
        this.confirmationResource = new TriggerAction(this, "confirmation-binding", {
          trigger: "post-login",
          actionId: props.confirmationAction.id,
          displayName: props.confirmationAction.name,
          dependsOn: [this.resource],
        });
        this.confirmationResource.overrideLogicalId("post_login_binding_additive_confirmation");
      }
    }
  }
}
