"""Reputation ledger and badges

Revision ID: 4206666fb0f0
Revises: 28ecf41bc4d4
Create Date: 2026-11-23 11:39:32.155233

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4206666fb0f0'
down_revision = '28ecf41bc4d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('badge_awards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('badge', sa.String(length=40), nullable=False),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('awarded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_badge_awards_post_id_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_badge_awards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_awards')),
    sa.UniqueConstraint('user_id', 'badge', 'scope', name=op.f('uq_badge_awards_user_id_badge_scope'))
    )
    with op.batch_alter_table('badge_awards', schema=None) as batch_op:
        batch_op.create_index('ix_badge_awards_badge_awarded', ['badge', 'awarded_at'], unique=False)

    op.create_table('reputation_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('nominal', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=60), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('vote_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('source_key', sa.String(length=120), nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_reputation_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_reputation_events_post_id_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reverses_id'], ['reputation_events.id'], name=op.f('fk_reputation_events_reverses_id_reputation_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_reputation_events_thread_id_threads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reputation_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reputation_events')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_reputation_events_reverses_id')),
    sa.UniqueConstraint('user_id', 'reason', 'source_key', name=op.f('uq_reputation_events_user_id_reason_source_key'))
    )
    with op.batch_alter_table('reputation_events', schema=None) as batch_op:
        batch_op.create_index('ix_reputation_events_created', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reputation_events_post_id'), ['post_id'], unique=False)
        batch_op.create_index('ix_reputation_events_user_created', ['user_id', 'created_at', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('reputation_events', schema=None) as batch_op:
        batch_op.drop_index('ix_reputation_events_user_created')
        batch_op.drop_index(batch_op.f('ix_reputation_events_post_id'))
        batch_op.drop_index('ix_reputation_events_created')

    op.drop_table('reputation_events')
    with op.batch_alter_table('badge_awards', schema=None) as batch_op:
        batch_op.drop_index('ix_badge_awards_badge_awarded')

    op.drop_table('badge_awards')
